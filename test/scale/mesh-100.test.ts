// 100 in-process nodes with maxPeers 8 (more nodes than slots): each is given the addresses of three earlier
// nodes; the others' addresses are learnt from links records. The mesh stays connected and routes acked
// direct messages; no node has more than maxPeers links.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../src/mesh/options.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { tablesComplete } from './support.ts';

const N = 100;
/** Slower pings than the other tests': 100 nodes share one loaded event loop while the mesh forms. */
const OPTIONS: MeshNodeOptions = { maxPeers: 8, maxPeersPerAddress: 8, pingInterval: 1000, pingTimeout: 4000, reconnect: { min: 100, max: 3000, jitter: 0.2 } };

test.after(stopAllNodes);

/** A deterministic pseudo-random choice (xorshift), so that a failure can be replayed. */
function chooser(seed: number): (count: number) => number {
  let state = seed;
  return (count) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % count;
  };
}

test(`${N} nodes with maxPeers 8: every table lists everyone, degrees stay within maxPeers, acked sends cross the mesh`, async () => {
  const pick = chooser(14);
  const nodes: MeshNode[] = [];
  for (let index = 0; index < N; index++) {
    const peers = new Set<string>();
    while (peers.size < Math.min(3, index)) peers.add(nodes[pick(index)].urls[0]);
    nodes.push(await startNode({ name: `n${index}`, peers: [...peers], ...OPTIONS }));
  }
  await waitFor(() => tablesComplete(nodes), 'every table lists all 99 others as reachable', 120_000);
  const degrees = nodes.map((node) => connectedIds(node).length);
  assert.ok(Math.max(...degrees) <= 8, `degrees ${degrees.join(',')}`);
  assert.ok(Math.min(...degrees) >= 1, `degrees ${degrees.join(',')}`);
  const far = nodes.filter((node) => (nodes[0].peers().find((peer) => peer.id === node.id)?.hops ?? 0) >= 2);
  assert.ok(far.length > 50, `${far.length} nodes two or more hops from n0`);
  const sends: Array<Promise<void>> = [];
  for (let index = 0; index < 40; index++) {
    const from = nodes[pick(N)];
    const to = nodes[(nodes.indexOf(from) + 1 + pick(N - 1)) % N];
    sends.push(from.send(to.id, `from ${from.name} to ${to.name}`));
  }
  await Promise.all(sends);
  console.log(`  degrees ${Math.min(...degrees)}..${Math.max(...degrees)} (mean ${(degrees.reduce((a, b) => a + b) / N).toFixed(1)}); 40 acked sends across the mesh`);
});

test.run();
