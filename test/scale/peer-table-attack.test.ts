// Issue 10 item 5: ids learnt from links records were never removed. A raw peer floods records naming
// tens of thousands of ids; the table stays capped and the entries expire once the attacker left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/timeout.ts';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { rawPeer } from './support.ts';

test.after.each(stopAllNodes);

test('40 links records of 4096 invented ids each: the peer table stays capped and empties after the sender left', async () => {
  const node = await startNode({ id: 'target', name: 'target', maxKnownPeers: 1000, forgetAfter: 1000, pingTimeout: 5000 });
  const attacker = await rawPeer(node.urls[0], 'flooder');
  assert.is(await withTimeout(attacker.outcome, 10_000, 'the attacker was admitted'), 'welcome');
  const origins = Array.from({ length: 40 }, (_, record) => ({ id: `origin-${record}`, name: 'o', kind: 'node' }));
  attacker.ws.send(JSON.stringify({ t: 'links', origin: 'flooder', boot: 'x', seq: 1, name: 'flooder', kind: 'node', links: [{ id: 'target', name: 'target', kind: 'node' }, ...origins] }));
  for (let record = 0; record < 40; record++) {
    const links = [{ id: 'flooder', name: 'flooder', kind: 'node' }];
    for (let index = 0; index < 4095; index++) links.push({ id: `ghost-${record}-${index}`, name: 'g', kind: 'browser' });
    attacker.ws.send(JSON.stringify({ t: 'links', origin: `origin-${record}`, boot: 'x', seq: 1, name: 'o', kind: 'node', links }));
  }
  await waitFor(() => node.peers().length > 500, `the node learnt ghosts (${node.peers().length} entries)`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const learnt = node.peers().length;
  assert.ok(learnt <= 1000, `peer table of ${learnt} entries (maxKnownPeers 1000)`);
  attacker.ws.terminate();
  await waitFor(() => node.peers().length === 0, `the ghosts expired (still ${node.peers().length})`, 15_000);
});

test.run();
