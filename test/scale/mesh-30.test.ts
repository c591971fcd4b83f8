// A 30-node full mesh in one process (every node given the earlier ones as static peers, as mDNS gives on a
// LAN): quiet once converged, broadcasts over a tree delivered exactly once, convergence after 20 % stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { DIGEST_DELAY_MS, LINKS_INTERVAL_PER_LINK_MS, LINKS_MIN_INTERVAL_MS } from '../../src/mesh/record-sync.ts';
import { sleep, stopAllNodes, waitFor } from '../mesh/support.ts';
import { WireCounter, collectBroadcasts, startFullMesh, tablesAgree, waitForFullMesh } from './support.ts';

const N = 30;
let counter: WireCounter;
let nodes: MeshNode[] = [];

test.before(() => {
  counter = new WireCounter();
});
test.after(async () => {
  await stopAllNodes();
  counter.restore();
});

test(`a ${N}-node full mesh sends no links records once it has converged`, async () => {
  // Pings slower than the other tests' (200/400 ms): on a loaded machine those drop links of 30 nodes sharing
  // one event loop, and every dropped link is a real change that issues records.
  nodes = await startFullMesh(N, { pingInterval: 1000, pingTimeout: 5000 });
  const started = Date.now();
  await waitForFullMesh(nodes).catch((error: Error) => {
    const links = counter.count('links');
    throw new Error(`${error.message}; ${links} links frames (${counter.bytes.get('links') ?? 0} bytes) in ${Date.now() - started} ms`);
  });
  // The last records may still be on their way when the tables completed: a node issues at most one per
  // LINKS_MIN_INTERVAL_MS + LINKS_INTERVAL_PER_LINK_MS per link (2 s here), and new links sync after
  // DIGEST_DELAY_MS. After that, nothing more.
  await sleep(LINKS_MIN_INTERVAL_MS + LINKS_INTERVAL_PER_LINK_MS * (N - 1) + DIGEST_DELAY_MS);
  counter.reset();
  await sleep(1500);
  const quiet = { links: counter.count('links'), bytes: counter.bytes.get('links') ?? 0 };
  assert.equal(quiet, { links: 0, bytes: 0 }, `links traffic in a quiet 1.5 s window: ${JSON.stringify(Object.fromEntries(counter.frames))}`);
});

test('every broadcast is delivered exactly once at every node, with at most 1.5 x (N-1) payload transmissions', async () => {
  const received = collectBroadcasts(nodes);
  // A first broadcast, not counted: each node plans the origin's tree from the links records as it passes.
  nodes[0].broadcast('warm-up');
  await waitFor(() => nodes.slice(1).every((node) => received.get(node)!.length === 1), 'the warm-up broadcast arrived');
  await sleep(500);
  for (const list of received.values()) list.length = 0;
  counter.reset();
  const senders = nodes.filter((_, index) => index % 3 === 0);
  const ids = senders.map((sender) => ({ id: sender.broadcast(`from ${sender.name}`), from: sender.id }));
  await waitFor(() => nodes.every((node) => received.get(node)!.length >= ids.filter((entry) => entry.from !== node.id).length), 'every broadcast arrived everywhere', 30_000);
  await sleep(500);
  for (const node of nodes) {
    const expected = ids.filter((entry) => entry.from !== node.id).map((entry) => entry.id).sort();
    assert.equal(received.get(node)!.slice().sort(), expected, `${node.name} got each broadcast exactly once`);
  }
  const perBroadcast = counter.count('msg') / ids.length;
  const notices = counter.count('ihave');
  console.log(`  ${ids.length} broadcasts: ${perBroadcast.toFixed(1)} payload transmissions each (N-1 = ${N - 1}); ${notices} ihave messages, ${counter.count('graft')} grafts, ${counter.count('prune')} prunes`);
  assert.ok(perBroadcast <= 1.5 * (N - 1), `${perBroadcast} payload transmissions per broadcast > 1.5 x ${N - 1}`);
});

test('after 20 % of the nodes stop, the tables agree and broadcasts still reach every remaining node once', async () => {
  const stopping = nodes.filter((_, index) => index % 5 === 2);
  const remaining = nodes.filter((node) => !stopping.includes(node));
  await Promise.all(stopping.map((node) => node.stop()));
  await waitFor(() => tablesAgree(remaining, stopping), 'the remaining tables list every remaining node and none of the stopped as reachable', 60_000);
  const received = collectBroadcasts(remaining);
  const ids = remaining.slice(0, 6).map((sender) => ({ id: sender.broadcast(`after churn from ${sender.name}`), from: sender.id }));
  await waitFor(() => remaining.every((node) => received.get(node)!.length >= ids.filter((entry) => entry.from !== node.id).length), 'every broadcast arrived everywhere');
  await sleep(500);
  for (const node of remaining) {
    const expected = ids.filter((entry) => entry.from !== node.id).map((entry) => entry.id).sort();
    assert.equal(received.get(node)!.slice().sort(), expected, `${node.name} got each broadcast exactly once`);
  }
});

test.run();
