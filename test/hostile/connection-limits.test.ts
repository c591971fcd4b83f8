// Connection limits of the mesh node: connections that are not established peers (503 beyond
// maxPendingPerAddress per address and maxPending in all), the hello deadline (4005 after handshakeTimeout) and maxPeers (4008).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode, RejectionInfo } from '../../src/mesh/node.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
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

function hello(id: string): string {
  return JSON.stringify({ t: 'hello', v: 1, id, name: id, mesh: 'wsmesh', kind: 'browser', listen: [], nonce: 'ab', auth: false, boot: id });
}

function dial(node: MeshNode): Promise<WebSocket> {
  return connect(node.urls[0], { protocols: ['wsmesh.v1'] });
}

/** Joins as a browser-style peer and waits for the welcome. */
async function join(node: MeshNode, id: string): Promise<WebSocket> {
  const ws = await dial(node);
  const welcomed = new Promise<void>((resolve) => ws.on('message', (data) => JSON.parse(String(data)).t === 'welcome' && resolve()));
  ws.send(hello(id));
  await withTimeout(welcomed, 10_000, `${id} being welcomed`);
  return ws;
}

/** Joins, retrying while the node still counts a connection the client already closed (a guard, not a timing). */
async function joinOnceFreed(node: MeshNode, id: string): Promise<WebSocket> {
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

async function refusal(attempt: Promise<WebSocket>): Promise<WsHandshakeError> {
  const error = await attempt.then((ws) => (ws.terminate(), new Error('the handshake was accepted')), (problem: Error) => problem);
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
  const ws = await joinOnceFreed(node, 'tab-after');
  assert.ok(seen.slice(1).every((info) => info.code === 503), 'only 503s until the node saw the close');
  ws.terminate();
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
  const welcomed = new Promise<void>((resolve) => first.on('message', (data) => JSON.parse(String(data)).t === 'welcome' && resolve()));
  first.send(hello('tab-1'));
  await withTimeout(welcomed, 10_000, 'tab-1 welcomed');
  const third = await join(node, 'tab-3');
  const fourth = await dial(node);
  assert.is((await refusal(dial(node))).status, 503);
  assert.equal(node.peers().map((peer) => peer.id).sort(), ['tab-1', 'tab-3']);
  assert.equal(seen.map((info) => info.code), [503, 503]);
  for (const ws of [first, second, third, fourth]) ws.terminate();
});

test('a WebSocket that never says hello is closed with 4005 after handshakeTimeout, and reported', async () => {
  const node = await startNode({ name: 'target', handshakeTimeout: 500 });
  const seen = rejections(node);
  const ws = await dial(node);
  const [code, reason] = await nextEvent<[number, string]>(ws, 'close', 10_000);
  assert.equal([code, reason], [4005, 'handshake timed out']);
  await waitFor(() => seen.length === 1, 'the node reported the timeout');
  assert.equal(seen, [{ url: null, direction: 'inbound', peerId: null, code: 4005, reason: 'handshake timed out', by: 'local', remoteAddress: '127.0.0.1' }]);
  assert.is(node.connectionCount, 0);
});

test('maxPeers: peers beyond it are closed with 4008 after their hello', async () => {
  const node = await startNode({ name: 'target', maxPeers: 2, maxPeersPerAddress: 2 });
  const seen = rejections(node);
  const peers = [await join(node, 'tab-1'), await join(node, 'tab-2')];
  const third = await dial(node);
  third.send(hello('tab-3'));
  const [code, reason] = await nextEvent<[number, string]>(third, 'close', 10_000);
  assert.equal([code, reason], [4008, 'node has its maximum of 2 peers']);
  await waitFor(() => seen.length === 1, 'the node reported the refusal');
  assert.equal([seen[0].code, seen[0].peerId], [4008, 'tab-3']);
  for (const ws of peers) ws.terminate();
});

test.run();
