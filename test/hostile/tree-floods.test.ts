// A member (it has the secret) that repeats requests a node answers with much more than the request: a digest
// (every record it holds), a pull (an origin's chain), a graft (a whole cached broadcast); or that announces ids
// that never come (a timer and a graft each). A node sends one digest per link, pulls an origin again from the same
// neighbour no sooner than a second later, grafts an id from one announcer at a time: the node answers that much.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep, stopAllNodes, waitFor } from '../mesh/support.ts';
import type { RawPeer } from '../security/raw-peer.ts';
import { handled, meshWithMember, recordsOf } from './member.ts';

let peers: RawPeer[] = [];
test.after.each(async () => {
  for (const peer of peers) peer.end();
  peers = [];
  await stopAllNodes();
});

async function meshWithAttacker(): ReturnType<typeof meshWithMember> {
  const mesh = await meshWithMember();
  peers.push(mesh.m);
  return mesh;
}

test('a digest repeated over one link is answered once: 50 more digests get no record', async () => {
  const { b, c, m } = await meshWithAttacker();
  m.sendJson({ t: 'digest', have: [] });
  await waitFor(() => recordsOf(m, b).length > 0, 'a answered the first digest with b\'s record');
  const answer = recordsOf(m, b);
  for (let i = 0; i < 50; i++) m.sendJson({ t: 'digest', have: [] });
  await handled(m, c);
  assert.equal(recordsOf(m, b), answer);
});

test('a pull repeated at once is answered once; the same pull a second later (a legitimate retry) is answered again', async () => {
  const { b, c, m } = await meshWithAttacker();
  const pull = { t: 'digest', have: [[b.id, 0]], pull: true };
  m.sendJson(pull);
  await waitFor(() => recordsOf(m, b).length > 0, 'a answered the pull with b\'s records');
  const answer = recordsOf(m, b);
  for (let i = 0; i < 50; i++) m.sendJson(pull);
  await handled(m, c);
  assert.equal(recordsOf(m, b), answer);
  // A node retries a pull after PULL_DELAY_MS * 4 (1 s), possibly from the same neighbour.
  await sleep(1000);
  m.sendJson(pull);
  await waitFor(() => recordsOf(m, b).length === 2 * answer.length, 'a answered the retry');
  assert.equal(recordsOf(m, b), [...answer, ...answer]);
});

test('a graft repeated over one link is answered once a second: 50 grafts of a broadcast, one naming it 50 times, send it once', async () => {
  const { b, c, m } = await meshWithAttacker();
  b.broadcast('cached at a');
  const copies = () => m.received.filter((entry) => entry.message?.t === 'msg' && entry.message.data === 'cached at a');
  const announced = () => m.messages('ihave').flatMap((ihave) => ihave.ids as string[]);
  await waitFor(() => copies().length > 0 || announced().length > 0, 'm heard of b\'s broadcast from a');
  const id = (copies()[0]?.message?.id as string | undefined) ?? announced()[0]!;
  const before = copies().length;
  m.sendJson({ t: 'graft', ids: Array.from({ length: 50 }, () => id) });
  for (let i = 0; i < 50; i++) m.sendJson({ t: 'graft', ids: [id] });
  await handled(m, c);
  assert.is(copies().length, before + 1);
  assert.equal(copies().at(-1)!.data, (copies()[0] ?? copies().at(-1)!).data);
  // A node grafts another announcer after graftAfter; the same one again only after it announced the id again.
  await sleep(1000);
  m.sendJson({ t: 'graft', ids: [id] });
  await waitFor(() => copies().length === before + 2, 'a answered the graft a second later');
});

test('ihave notices of ids that never come: a neighbour keeps at most 1024 of them waiting, the rest are ignored (one graft each, no more)', async () => {
  const { c, m } = await meshWithAttacker();
  // 20 notices of 1024 made-up ids each: a grafts the ids it waits for after graftAfter (250 ms), one graft per id.
  for (let notice = 0; notice < 20; notice++) m.sendJson({ t: 'ihave', ids: Array.from({ length: 1024 }, (_, i) => `fake-${notice}-${i}`) });
  const grafted = () => new Set(m.messages('graft').flatMap((graft) => graft.ids as string[]));
  await waitFor(() => grafted().size >= 1024, 'a grafted the first 1024 ids');
  await handled(m, c);
  // Whatever a still waits for is grafted within graftAfter: wait past it, then count.
  await sleep(600);
  await handled(m, c);
  assert.is(grafted().size, 1024);
  assert.ok([...grafted()].every((id) => id.startsWith('fake-0-')), 'the ids of the first notice');
});

test.run();
