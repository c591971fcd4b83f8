// A neighbour that says it is going away (close 1001, as `stop()` sends) is unreachable at once, although other
// nodes' records still list their links to it: they publish new records only at their own pace (at most one per
// 500 ms + 50 ms per link), and until then a node that left looked reachable through them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from './support.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';

let peers: RawPeer[] = [];
test.after.each(async () => {
  for (const peer of peers) peer.end();
  peers = [];
  await stopAllNodes();
});

const reachable = (node: MeshNode, id: string) => node.peers().some((peer) => peer.id === id && peer.reachable);

/** a with two raw neighbours: x, and z whose record says it links to a and x. */
async function setUp(): Promise<{ a: MeshNode; x: RawPeer; z: RawPeer }> {
  const a = await startNode({ name: 'a' });
  const x = await RawPeer.join(a.urls[0], { name: 'x' });
  const z = await RawPeer.join(a.urls[0], { name: 'z' });
  peers.push(x, z);
  await waitFor(() => connectedIds(a).includes(x.id) && connectedIds(a).includes(z.id), 'x and z linked to a');
  z.sendJson(z.sign({ t: 'links', origin: z.id, boot: 'z-boot', seq: 1000, name: 'z', kind: 'node', links: [{ id: a.id, name: 'a', kind: 'node' }, { id: x.id, name: 'x', kind: 'node' }] }));
  await waitFor(() => a.peers().some((peer) => peer.id === x.id && peer.hops === 1) && reachable(a, x.id), 'a routes to x');
  return { a, x, z };
}

test('x stops (its links close with 1001, going away): a no longer reaches it, though z\'s record still lists x', async () => {
  // a keeps x's address (a static peer), so x is not forgotten on leaving: only routes can tell.
  const x = await startNode({ name: 'x' });
  const a = await startNode({ name: 'a', peers: [x.urls[0]] });
  const z = await RawPeer.join(a.urls[0], { name: 'z' });
  peers.push(z);
  await waitFor(() => connectedIds(a).includes(x.id) && connectedIds(a).includes(z.id), 'x and z linked to a');
  z.sendJson(z.sign({ t: 'links', origin: z.id, boot: 'z-boot', seq: 1000, name: 'z', kind: 'node', links: [{ id: a.id, name: 'a', kind: 'node' }, { id: x.id, name: 'x', kind: 'node' }] }));
  await waitFor(() => a.peers().some((peer) => peer.id === z.id && peer.reachable), 'a holds z\'s record');
  await x.stop();
  await waitFor(() => !connectedIds(a).includes(x.id), 'a saw x go');
  // Routes are recomputed in batches: once a reaches y (from a record sent now), they were recomputed since x left.
  const y = createIdentity(nodeCrypto).id;
  z.sendJson(z.sign({ t: 'links', origin: z.id, boot: 'z-boot', seq: 1001, name: 'z', kind: 'node', links: [{ id: a.id, name: 'a', kind: 'node' }, { id: x.id, name: 'x', kind: 'node' }, { id: y, name: 'y', kind: 'node' }] }));
  await waitFor(() => reachable(a, y), 'a routes to y through z');
  const entry = a.peers().find((peer) => peer.id === x.id)!;
  assert.equal([entry.reachable, entry.via, entry.addresses.map((address) => address.source)], [false, null, ['static']]);
});

test('x\'s link closes otherwise (1000): z\'s record still lists x, so a routes to it through z', async () => {
  const { a, x, z } = await setUp();
  x.ws.close(1000, 'done');
  await waitFor(() => !connectedIds(a).includes(x.id), 'a saw x go');
  await waitFor(() => a.peers().some((peer) => peer.id === x.id && peer.reachable && peer.via === z.id), 'a routes to x through z');
});

test.run();
