// An attacker on the path (or a member) re-sends captured encrypted link messages verbatim, or out of order:
// each Noise transport message is accepted once and in order, so the link is closed with 4000 and the
// message is delivered once; the node goes on serving other peers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import { utf8 } from '../../src/wire/bytes.js';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from '../security/raw-peer.ts';

test.after.each(stopAllNodes);

const REJECTED = 'transport message rejected: decryption failed (wrong key or altered message)';

test('a captured encrypted message sent again verbatim: closed with 4000, delivered once, the node goes on', async () => {
  const node = await startNode({ name: 'target' });
  const received: string[] = [];
  node.on('message', (data) => received.push(String(data)));
  const disconnected: DisconnectReason[] = [];
  node.on('peer:disconnected', (_peer, reason) => disconnected.push(reason));
  const peer = await RawPeer.join(node.urls[0], { kind: 'browser', name: 'replayer' });
  const sealed = peer.transport!.seal(utf8(JSON.stringify(peer.sign({ t: 'msg', id: 'once', from: peer.id, to: null, ttl: 4, hops: 0, data: 'only once' }))), false);
  assert.is(sealed.length, 1);
  peer.ws.send(Buffer.from(sealed[0]));
  await waitFor(() => received.length === 1, 'the first copy delivered');
  peer.ws.send(Buffer.from(sealed[0]));
  assert.equal(await peer.waitClosed(), { code: 4000, reason: REJECTED });
  assert.equal(received, ['only once']);
  await waitFor(() => disconnected.length === 1, 'the disconnect reported');
  assert.equal(disconnected[0], { type: 'close', code: 4000, reason: REJECTED, by: 'local' });
  const next = await RawPeer.join(node.urls[0], { kind: 'browser', name: 'honest' });
  next.sendJson(next.sign({ t: 'msg', id: 'after', from: next.id, to: null, ttl: 4, hops: 0, data: 'still served' }));
  await waitFor(() => received.length === 2, 'the next peer delivered');
  assert.equal(received, ['only once', 'still served']);
});

test('two encrypted messages delivered out of order: the second (sent first) is refused with 4000, nothing delivered', async () => {
  const node = await startNode({ name: 'target' });
  const received: string[] = [];
  node.on('message', (data) => received.push(String(data)));
  const peer = await RawPeer.join(node.urls[0], { kind: 'browser', name: 'reorderer' });
  const seal = (id: string) => peer.transport!.seal(utf8(JSON.stringify(peer.sign({ t: 'msg', id, from: peer.id, to: null, ttl: 4, hops: 0, data: id }))), false)[0];
  const first = seal('first');
  const second = seal('second');
  peer.ws.send(Buffer.from(second));
  peer.ws.send(Buffer.from(first));
  assert.equal(await peer.waitClosed(), { code: 4000, reason: REJECTED });
  assert.equal(received, []);
});

test.run();
