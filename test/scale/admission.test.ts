// Admission over real sockets: many legitimate nodes behind one address get in, yet one address cannot take
// every peer slot (issue 10 item 6). Attackers are raw clients speaking the link handshake (test/security/raw-peer.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode, RejectionInfo } from '../../src/mesh/node.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { rawPeer } from './support.ts';

test.after.each(stopAllNodes);

function rejections(node: MeshNode): RejectionInfo[] {
  const seen: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => seen.push(info));
  return seen;
}

test('one address cannot take every peer slot: beyond maxPeersPerAddress (default maxPeers / 2) it gets 4008', async () => {
  const node = await startNode({ name: 'target', maxPeers: 8 });
  const attackers = [];
  for (let index = 0; index < 8; index++) attackers.push(await rawPeer(node.urls[0], `sybil-${index}`));
  const outcomes = await withTimeout(Promise.all(attackers.map((peer) => peer.outcome)), 10_000, 'the attackers were answered');
  assert.equal(outcomes.slice(0, 4), ['welcome', 'welcome', 'welcome', 'welcome']);
  assert.equal(outcomes.slice(4), Array(4).fill([4008, '4 peers from 127.0.0.1 already (maxPeersPerAddress 4)']));
  // A peer from another address still finds a slot.
  const other = await rawPeer(node.urls[0], 'honest', { localAddress: '127.0.0.2' });
  assert.is(await withTimeout(other.outcome, 10_000, 'the honest peer was answered'), 'welcome');
  assert.equal(connectedIds(node), [other, ...attackers.slice(0, 4)].map((peer) => peer.id).sort());
  for (const peer of [...attackers, other]) peer.ws.terminate();
});

test('a crowd: 40 peers behind one address with their handshakes in flight at once all get in, none refused with 503', async () => {
  const target = await startNode({ name: 'target', maxPeersPerAddress: 64 });
  const seen = rejections(target);
  const crowd = await Promise.all(Array.from({ length: 40 }, (_, index) => rawPeer(target.urls[0], `crowd-${index}`, { holdHello: true })));
  for (const peer of crowd) peer.hello();
  const outcomes = await withTimeout(Promise.all(crowd.map((peer) => peer.outcome)), 10_000, 'the crowd was answered');
  assert.equal(outcomes, Array(40).fill('welcome'));
  await waitFor(() => connectedIds(target).length === 40, 'the node established all 40');
  assert.equal(seen, [], 'nothing refused');
  for (const peer of crowd) peer.ws.terminate();
});

test.run();
