// Delta links records (issue 14): a node's record lists only what changed since its previous one, and a node
// that misses the base of a delta pulls the records since the last full one from the neighbour that sent it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLink } from '../../src/mesh/link.ts';
import { PULL_DELAY_MS } from '../../src/mesh/record-sync.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';

test.after.each(stopAllNodes);

test('a node that misses the base of a delta pulls the records since the last full one, once, then applies both', async () => {
  const node = await startNode({ name: 'a' });
  const member = await RawPeer.join(node.urls[0], { name: 'm' });
  await waitFor(() => connectedIds(node).includes(member.id), 'the member linked');
  const x = createIdentity(nodeCrypto).id;
  const y = createIdentity(nodeCrypto).id;
  const full = member.sign({ t: 'links', origin: member.id, boot: 'm-boot', seq: 1001, name: 'm', kind: 'node', links: [{ id: x, name: 'x', kind: 'node' }] });
  const delta = member.sign({ t: 'links', origin: member.id, boot: 'm-boot', seq: 1002, name: 'm', kind: 'node', links: [{ id: y, name: 'y', kind: 'node' }], base: 1001, gone: [x] });
  member.sendJson(delta);
  await waitFor(() => member.messages('digest').some((digest) => digest.pull === true), 'the node pulled the missing base', PULL_DELAY_MS + 5000);
  assert.equal(member.messages('digest').filter((digest) => digest.pull === true), [{ t: 'digest', have: [[member.id, 0]], pull: true }]);
  assert.not.ok(node.peers().some((peer) => peer.id === y), 'a delta is not used without its base');
  // The answer to a pull: the full record, then the delta again (the node kept the first copy meanwhile).
  member.sendJson(full);
  member.sendJson(delta);
  await waitFor(() => node.peers().some((peer) => peer.id === y && peer.reachable), 'y is routed through the member');
  assert.equal(node.peers().find((peer) => peer.id === y)?.via, member.id);
  assert.not.ok(node.peers().some((peer) => peer.id === x && peer.reachable), 'x, gone in the delta, is not reachable');
  // Nothing is missing any more: no second pull, even after the retry interval.
  await sleep(PULL_DELAY_MS * 5);
  assert.is(member.messages('digest').filter((digest) => digest.pull === true).length, 1);
  member.end();
});

test('records after the first are deltas: a node that gains one link sends only that entry', async () => {
  const sent: Array<Record<string, unknown>> = [];
  const original = PeerLink.prototype.send;
  PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
    if (typeof frame === 'string' && frame.startsWith('{"t":"links"')) sent.push(JSON.parse(frame) as Record<string, unknown>);
    return original.call(this, frame);
  };
  try {
    const a = await startNode({ name: 'a' });
    const b = await startNode({ name: 'b', peers: [a.urls[0]] });
    await waitFor(() => sent.some((record) => record.origin === a.id), 'a issued its first record');
    const c = await startNode({ name: 'c', peers: [a.urls[0]] });
    await waitFor(() => sent.some((record) => record.origin === a.id && record.base !== undefined), 'a issued a delta');
    const first = sent.find((record) => record.origin === a.id)!;
    const delta = sent.find((record) => record.origin === a.id && record.base !== undefined)!;
    assert.is(first.base, undefined, 'the first record is full');
    assert.equal((first.links as Array<{ id: string }>).map((entry) => entry.id), [b.id]);
    assert.is(delta.base, first.seq);
    assert.equal((delta.links as Array<{ id: string }>).map((entry) => entry.id), [c.id], 'only the new link');
    assert.equal(delta.gone, []);
    await waitFor(() => [b, c].every((node) => node.peers().filter((peer) => peer.reachable).length === 2), 'b and c reach each other through a');
  } finally {
    PeerLink.prototype.send = original;
  }
});

test.run();
