// Dead nodes are forgotten after forgetAfter: no redialling a stopped node forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';

test.after.each(stopAllNodes);

test('a stopped peer is forgotten after forgetAfter: an inbound-learnt one entirely, a static address goes back to slow retries', async () => {
  const options = { forgetAfter: 1000, reconnect: { min: 50, max: 2000, jitter: 0 } };
  const hub = await startNode({ name: 'hub', ...options });
  const leaf = await startNode({ name: 'leaf', peers: [hub.urls[0]], ...options });
  await waitFor(() => connectedIds(hub).length === 1 && connectedIds(leaf).length === 1, 'linked');
  const lost: string[] = [];
  hub.on('peer:lost', (peer) => lost.push(peer.id));
  const leafId = leaf.id;
  // The leaf dialled the hub (a static address); the hub knows the leaf by its inbound address.
  assert.equal(hub.peers().find((peer) => peer.id === leafId)!.addresses.map((address) => address.source), ['inbound']);
  await leaf.stop();
  await waitFor(() => hub.peers().length === 0, 'the hub forgot the stopped leaf', 10_000);
  assert.equal(lost, [leafId]);
  assert.equal(hub.staticPeers(), []);

  const second = await startNode({ name: 'second', peers: [hub.urls[0]], ...options });
  await waitFor(() => connectedIds(second).length === 1, 'second linked');
  const hubUrl = hub.urls[0];
  await hub.stop();
  await waitFor(() => second.peers().length === 0, 'second forgot the stopped hub', 10_000);
  const pending = second.staticPeers();
  assert.equal(pending.map(({ url }) => url), [hubUrl]);
  assert.ok(pending[0].nextRetry! - Date.now() > 1000, 'the static address is retried only after reconnect.max');
});

test.run();
