// Over real sockets: a node dials its active view first and the rest of a full mesh once the nodes it knows stay
// the same (src/mesh/dial-policy.ts). A node that turns out to be one of more than maxPeers nodes keeps to its
// active view; a mesh that fits still becomes a full mesh, with one handshake per pair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DENSIFY_AFTER_MS, DIAL_ALL_AT_ONCE, activeViewSize } from '../../src/mesh/dial-policy.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../src/mesh/options.ts';
import { SecureHandshake } from '../../src/wire/secure-link.js';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { startFullMesh, tablesComplete, waitForFullMesh } from './support.ts';

/** Slower pings than the other tests': many nodes share one loaded event loop while the mesh forms. */
const OPTIONS: MeshNodeOptions = { pingInterval: 1000, pingTimeout: 5000 };

test.after.each(stopAllNodes);

const outbound = (node: MeshNode) => node.peers().filter((peer) => peer.state === 'connected' && peer.direction === 'outbound').length;

test('a node given 20 static peers links to its active view first, and to all 20 once the nodes it knows stayed the same', async () => {
  const targets: MeshNode[] = [];
  for (let index = 0; index < 20; index++) targets.push(await startNode({ name: `t${index}`, ...OPTIONS }));
  const linkedAt: number[] = [];
  const started = Date.now();
  const node = await startNode({ name: 'x', peers: targets.map((target) => target.urls[0]), ...OPTIONS });
  node.on('peer:connected', () => linkedAt.push(Date.now() - started));
  await waitFor(() => connectedIds(node).length === 20, 'x linked to all 20', 30_000);
  const active = activeViewSize(64, 20);
  assert.is(active, 6);
  assert.is(linkedAt.length, 20);
  // The first `active` links may come up at once; the others only after the view stayed the same for DENSIFY_AFTER_MS
  // (the 20 addresses are known from the start, and the targets know nobody else: the view never changes).
  const early = linkedAt.filter((ms) => ms < DENSIFY_AFTER_MS).length;
  assert.ok(early <= active, `${early} links within ${DENSIFY_AFTER_MS} ms of the start (at ${linkedAt.join(', ')} ms); at most ${active} expected`);
  assert.is(outbound(node), 20);
});

test(`30 nodes given the earlier ones (more than ${DIAL_ALL_AT_ONCE}): a full mesh, one handshake per pair`, async () => {
  // Every link's Noise handshake, counted at both ends. Both ends of a pair learn each other's address when they
  // densify: only the smaller id dials at first (without that rule, 22-60 of 435 pairs raced here: 914-990 handshakes).
  let handshakes = 0;
  const start = SecureHandshake.prototype.start;
  SecureHandshake.prototype.start = function (this: SecureHandshake) {
    handshakes++;
    return start.call(this);
  };
  try {
    const nodes = await startFullMesh(30, OPTIONS);
    await waitForFullMesh(nodes);
    await sleep(500);
    // A pair can still race when one end's handshakes wait longer than DENSIFY_PAIR_DEFER_MS (a loaded machine
    // running other test files: 2 of 435 pairs once in three parallel runs); without the rule 40-60 pairs race.
    assert.ok(handshakes <= 30 * 29 + 2 * 3, `${handshakes} handshakes for ${(30 * 29) / 2} pairs: ${(handshakes - 30 * 29) / 2} pairs raced`);
  } finally {
    SecureHandshake.prototype.start = start;
  }
});

test('48 nodes with maxPeers 24, each given the earlier ones: the nodes that knew fewer than maxPeers at start keep to their active views', async () => {
  const nodes: MeshNode[] = [];
  for (let index = 0; index < 48; index++) {
    nodes.push(await startNode({ name: `n${index}`, peers: nodes.map((node) => node.urls[0]), maxPeers: 24, maxPeersPerAddress: 24, ...OPTIONS }));
  }
  await waitFor(() => tablesComplete(nodes), 'every table lists all 47 others as reachable', 60_000);
  // Nodes 13-23 knew 13-23 nodes at start: below maxPeers, and more than dialled at once. They used to dial them
  // all (13 + 14 + ... + 23 = 198 links); learning of 48 nodes, each keeps to an active view of 7 (log2(49) + 1).
  const phased = nodes.slice(13, 24);
  const dialled = phased.map(outbound);
  const total = dialled.reduce((sum, count) => sum + count, 0);
  assert.ok(total <= phased.length * 10, `nodes 13-23 hold ${total} outbound links (${dialled.join(', ')}); at most ${phased.length * 10} expected`);
  const degrees = nodes.map((node) => connectedIds(node).length);
  assert.ok(Math.max(...degrees) <= 24, `degrees ${degrees.join(',')}`);
  console.log(`  outbound links of nodes 13-23: ${dialled.join(', ')}; degrees ${Math.min(...degrees)}..${Math.max(...degrees)} (mean ${(degrees.reduce((a, b) => a + b) / degrees.length).toFixed(1)})`);
});

test.run();
