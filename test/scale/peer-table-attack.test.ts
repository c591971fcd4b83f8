// Issue 10 item 5: ids learnt from links records were never removed. A member floods records (each signed by an
// identity it made up: a record about X must come from X) naming tens of thousands of ids; the table stays
// capped and the entries expire once the attacker left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { signMessage } from '../../src/wire/signing.js';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from '../security/raw-peer.ts';

test.after.each(stopAllNodes);

test('40 links records of 4096 invented ids each: the peer table stays capped and empties after the sender left', async () => {
  const node = await startNode({ name: 'target', maxKnownPeers: 1000, forgetAfter: 1000, pingTimeout: 5000 });
  const attacker = await RawPeer.join(node.urls[0], { name: 'flooder' });
  const origins = Array.from({ length: 40 }, () => createIdentity(nodeCrypto));
  const entry = (id: string, kind: 'node' | 'browser' = 'node') => ({ id, name: 'o', kind });
  attacker.sendJson(attacker.sign({ t: 'links', origin: attacker.id, boot: 'x', seq: 1, name: 'flooder', kind: 'node', links: [entry(node.id), ...origins.map((origin) => entry(origin.id))] }));
  origins.forEach((origin, record) => {
    const links = [entry(attacker.id)];
    for (let index = 0; index < 4095; index++) links.push(entry(`ghost-${record}-${index}`, 'browser'));
    attacker.sendJson(signMessage(nodeCrypto, origin, { t: 'links', origin: origin.id, boot: 'x', seq: 1, name: 'o', kind: 'node', links }));
  });
  await waitFor(() => node.peers().length > 500, `the node learnt ghosts (${node.peers().length} entries)`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const learnt = node.peers().length;
  assert.ok(learnt <= 1000, `peer table of ${learnt} entries (maxKnownPeers 1000)`);
  attacker.ws.terminate();
  await waitFor(() => node.peers().length === 0, `the ghosts expired (still ${node.peers().length})`, 15_000);
});

test.run();
