// Connection limits of the mesh node: connections that are not established peers (503 beyond
// maxPendingPerAddress per address and maxPending in all), the handshake deadline (4005 after handshakeTimeout) and maxPeers (4008).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode, RejectionInfo } from '../../src/mesh/node.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { nextEvent, withTimeout } from '../helpers/timeout.ts';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { rawConnect } from '../transport/raw-client.ts';
import type { RawConnection } from '../transport/raw-client.ts';

test.after.each(stopAllNodes);

function rejections(node: MeshNode): RejectionInfo[] {
  const seen: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => seen.push(info));
  return seen;
}

/** Opens a WebSocket to the node (subprotocol wsmesh.v2), before any handshake message. */
function dial(node: MeshNode, name = 'tab'): Promise<RawPeer> {
  return RawPeer.open(node.urls[0], { kind: 'browser', name });
}

/** Joins as a browser-kind peer: the whole link handshake (test/security/raw-peer.ts). */
function join(node: MeshNode, name: string): Promise<RawPeer> {
  return withTimeout(RawPeer.join(node.urls[0], { kind: 'browser', name }), 10_000, `${name} joining`);
}

/** Joins, retrying while the node still counts a connection the client already closed (a guard, not a timing). */
async function joinOnceFreed(node: MeshNode, id: string): Promise<RawPeer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await join(node, id);
    } catch (error) {
      if (!(error instanceof WsHandshakeError) || error.status !== 503 || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function refusal(attempt: Promise<RawPeer>): Promise<WsHandshakeError> {
  const error = await attempt.then((peer) => (peer.ws.terminate(), new Error('the handshake was accepted')), (problem: Error) => problem);
  assert.instance(error, WsHandshakeError);
  return error as WsHandshakeError;
}

test('the default: 64 connections per address that are not peers yet; the 65th TCP connection gets 503 and is closed', async () => {
  const node = await startNode({ name: 'target' });
  const seen = rejections(node);
  const idle: RawConnection[] = [];
  for (let i = 0; i < 64; i++) idle.push(await rawConnect(node.port));
  const extra = await rawConnect(node.port);
  const answer = (await extra.closed).toString('latin1');
  assert.is(answer.split('\r\n')[0], 'HTTP/1.1 503 Service Unavailable');
  const reason = '64 connections from 127.0.0.1 are not established peers yet (limit 64); try again later';
  assert.ok(answer.endsWith(`\r\n\r\n${reason}\n`), answer);
  assert.equal(seen, [{ url: null, direction: 'inbound', peerId: null, code: 503, reason, by: 'local', remoteAddress: '127.0.0.1' }]);
  idle[0].socket.destroy();
  const peer = await joinOnceFreed(node, 'tab-after');
  assert.ok(seen.slice(1).every((info) => info.code === 503), 'only 503s until the node saw the close');
  peer.ws.terminate();
  for (const raw of idle) raw.socket.destroy();
});

test('maxPending bounds connections that are not peers over all addresses', async () => {
  const node = await startNode({ name: 'target', maxPending: 6, maxPendingPerAddress: 4 });
  const seen = rejections(node);
  const idle: RawConnection[] = [];
  for (let i = 0; i < 4; i++) idle.push(await rawConnect(node.port));
  for (let i = 0; i < 2; i++) idle.push(await rawConnect(node.port, '127.0.0.1', '127.0.0.2'));
  const answer = (await (await rawConnect(node.port, '127.0.0.1', '127.0.0.3')).closed).toString('latin1');
  assert.is(answer.split('\r\n')[0], 'HTTP/1.1 503 Service Unavailable');
  const reason = '6 connections are not established peers yet (limit 6); try again later';
  assert.equal(seen, [{ url: null, direction: 'inbound', peerId: null, code: 503, reason, by: 'local', remoteAddress: '127.0.0.3' }]);
  for (const raw of idle) raw.socket.destroy();
});

test('WebSockets without hello count; once a peer is established it no longer counts', async () => {
  const node = await startNode({ name: 'target', maxPendingPerAddress: 2 });
  const seen = rejections(node);
  const first = await dial(node);
  const second = await dial(node);
  const refused = await refusal(dial(node));
  assert.is(refused.status, 503);
  assert.match(refused.message, '2 connections from 127.0.0.1 are not established peers yet (limit 2)');
  await withTimeout(first.handshake(), 10_000, 'tab-1 joining');
  const third = await join(node, 'tab-3');
  const fourth = await dial(node);
  assert.is((await refusal(dial(node))).status, 503);
  assert.equal(node.peers().map((peer) => peer.id).sort(), [first.id, third.id].sort());
  assert.equal(seen.map((info) => info.code), [503, 503]);
  for (const peer of [first, second, third, fourth]) peer.ws.terminate();
});

test('a WebSocket that never says hello is closed with 4005 after handshakeTimeout, and reported', async () => {
  const node = await startNode({ name: 'target', handshakeTimeout: 500 });
  const seen = rejections(node);
  const peer = await dial(node);
  const [code, reason] = await nextEvent<[number, string]>(peer.ws, 'close', 10_000);
  assert.equal([code, reason], [4005, 'handshake timed out']);
  await waitFor(() => seen.length === 1, 'the node reported the timeout');
  assert.equal(seen, [{ url: null, direction: 'inbound', peerId: null, code: 4005, reason: 'handshake timed out', by: 'local', remoteAddress: '127.0.0.1' }]);
  assert.is(node.connectionCount, 0);
});

test('maxPeers: peers beyond it are closed with 4008 after their hello', async () => {
  const node = await startNode({ name: 'target', maxPeers: 2, maxPeersPerAddress: 2 });
  const seen = rejections(node);
  const peers = [await join(node, 'tab-1'), await join(node, 'tab-2')];
  const third = await dial(node, 'tab-3');
  await third.handshake().catch(() => {});
  assert.equal(await third.waitClosed(), { code: 4008, reason: 'node has its maximum of 2 peers' });
  await waitFor(() => seen.length === 1, 'the node reported the refusal');
  assert.equal([seen[0].code, seen[0].peerId], [4008, third.id]);
  for (const peer of peers) peer.ws.terminate();
});

test.run();
