// A member (it has the secret) that repeats digests: each one would make the node send every record it holds, a
// few bytes in for up to maxRecords signed records out. A node sends one digest per link, when the link comes up,
// and pulls an origin again from the same neighbour no sooner than a second later; the node answers that much.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { recordsComplete } from '../scale/support.ts';
import { RawPeer } from '../security/raw-peer.ts';

let peers: RawPeer[] = [];
test.after.each(async () => {
  for (const peer of peers) peer.end();
  peers = [];
  await stopAllNodes();
});

/** a, b and c in a full mesh, and the attacker m linked to a. */
async function meshWithAttacker(): Promise<{ a: MeshNode; b: MeshNode; c: MeshNode; m: RawPeer }> {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  const c = await startNode({ name: 'c', peers: [a.urls[0], b.urls[0]] });
  await waitFor(() => recordsComplete([a, b, c]), 'a, b and c hold each other\'s records');
  const m = await RawPeer.join(a.urls[0], { name: 'm' });
  peers.push(m);
  await waitFor(() => connectedIds(a).includes(m.id), 'm linked to a');
  return { a, b, c, m };
}

const recordsOf = (peer: RawPeer, origin: MeshNode) => peer.messages('links').filter((message) => message.origin === origin.id);

/**
 * Waits until every message m sent before is handled: a pull of `origin` (not asked for before) is answered over
 * the same link, in order, after the answers to everything m sent ahead of it.
 */
async function barrier(m: RawPeer, origin: MeshNode): Promise<void> {
  const before = recordsOf(m, origin).length;
  m.sendJson({ t: 'digest', have: [[origin.id, 0]], pull: true });
  await waitFor(() => recordsOf(m, origin).length > before, 'a answered the pull sent last');
}

test('a digest repeated over one link is answered once: 50 more digests get no record', async () => {
  const { b, c, m } = await meshWithAttacker();
  m.sendJson({ t: 'digest', have: [] });
  await waitFor(() => recordsOf(m, b).length > 0, 'a answered the first digest with b\'s record');
  const answer = recordsOf(m, b);
  for (let i = 0; i < 50; i++) m.sendJson({ t: 'digest', have: [] });
  await barrier(m, c);
  assert.equal(recordsOf(m, b), answer);
});

test('a pull repeated at once is answered once; the same pull a second later (a legitimate retry) is answered again', async () => {
  const { b, c, m } = await meshWithAttacker();
  const pull = { t: 'digest', have: [[b.id, 0]], pull: true };
  m.sendJson(pull);
  await waitFor(() => recordsOf(m, b).length > 0, 'a answered the pull with b\'s records');
  const answer = recordsOf(m, b);
  for (let i = 0; i < 50; i++) m.sendJson(pull);
  await barrier(m, c);
  assert.equal(recordsOf(m, b), answer);
  // A node retries a pull after PULL_DELAY_MS * 4 (1 s), possibly from the same neighbour.
  await sleep(1000);
  m.sendJson(pull);
  await waitFor(() => recordsOf(m, b).length === 2 * answer.length, 'a answered the retry');
  assert.equal(recordsOf(m, b), [...answer, ...answer]);
});

test.run();
