// A node given many static peers dials them a few at a time (MAX_DIALS_IN_FLIGHT), and still reaches them all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_DIALS_IN_FLIGHT } from '../../src/mesh/node.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';

test.after.each(stopAllNodes);

test(`20 static peers: ${MAX_DIALS_IN_FLIGHT} dials in flight at start, never more, and all 20 linked`, async () => {
  const others = [];
  for (let index = 0; index < 20; index++) others.push(await startNode({ name: `p${index}`, maxPeersPerAddress: 64 }));
  const node = await startNode({ name: 'n', peers: others.map((other) => other.urls[0]), maxPeersPerAddress: 64 });
  const dialling = () => node.staticPeers().filter((peer) => peer.state === 'connecting').length;
  assert.is(dialling(), MAX_DIALS_IN_FLIGHT);
  assert.is(node.staticPeers().filter((peer) => peer.state === 'known').length, 20 - MAX_DIALS_IN_FLIGHT);
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, dialling())), 1);
  try {
    await waitFor(() => connectedIds(node).length === 20, 'n linked to all 20');
  } finally {
    clearInterval(sampler);
  }
  assert.ok(most <= MAX_DIALS_IN_FLIGHT, `${most} dials in flight at once`);
});

test.run();
