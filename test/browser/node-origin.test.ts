// The node's side of browser peers, without a browser: the origin allowlist at the handshake,
// pages that must join as browsers, and the web UI options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNode } from '../../src/node.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { RawPeer } from '../security/raw-peer.ts';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import type { PeerInfo } from '../../src/mesh/peer-table.ts';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { nextEvent } from '../helpers/timeout.ts';
import { eventually, startWebNode, stopWebNodes } from './support/nodes.ts';

test.after.each(stopWebNodes);

function dialAs(port: number, origin: string | undefined, host?: string): Promise<WebSocket> {
  return connect(`ws://127.0.0.1:${port}/`, {
    protocols: ['wsmesh.v2'],
    ...(origin === undefined ? {} : { origin }),
    ...(host === undefined ? {} : { headers: { Host: host } }),
  });
}

async function refusal(attempt: Promise<WebSocket>): Promise<WsHandshakeError> {
  const error = await attempt.then(
    (ws) => {
      ws.terminate();
      return new Error('the handshake was accepted');
    },
    (problem: Error) => problem,
  );
  assert.instance(error, WsHandshakeError);
  return error as WsHandshakeError;
}

test('a page of another origin gets 403; the node own origin, no Origin and listed origins get 101', async () => {
  const node = await startWebNode({ name: 'n', allowOrigins: ['http://app.example:3000'] });
  const refused = await refusal(dialAs(node.port, 'http://127.0.0.1:1'));
  assert.is(refused.status, 403);
  assert.match(refused.message, 'origin "http://127.0.0.1:1" is not allowed');
  assert.is((await refusal(dialAs(node.port, 'null'))).status, 403);
  assert.is((await refusal(dialAs(node.port, 'http://rebound.example:80', 'rebound.example:80'))).status, 403);
  for (const origin of [undefined, `http://127.0.0.1:${node.port}`, 'http://app.example:3000']) {
    const ws = await dialAs(node.port, origin);
    assert.is(ws.protocol, 'wsmesh.v2', `answers wsmesh.v2 for origin ${origin}`);
    ws.terminate();
  }
});

test('verifyOrigin replaces the policy, also in /access', async () => {
  const node = await startWebNode({ name: 'n', verifyOrigin: (origin) => origin === 'http://only.example' });
  assert.is((await refusal(dialAs(node.port, `http://127.0.0.1:${node.port}`))).status, 403);
  (await dialAs(node.port, 'http://only.example')).terminate();
  const answer = await (await fetch(`http://127.0.0.1:${node.port}/access`, { headers: { origin: 'http://x.example' } })).json();
  assert.equal(answer, { allowed: false, origin: 'http://x.example', auth: false, reason: "The node's verifyOrigin option refuses it.", mesh: 'wsmesh' });
});

test('a web page (Origin sent) that says hello as a node is closed with 4000 and never listed', async () => {
  const node = await startWebNode({ name: 'n' });
  const page = await RawPeer.open(`ws://127.0.0.1:${node.port}/`, { origin: `http://127.0.0.1:${node.port}`, kind: 'node', protocols: ['wsmesh.v2'] });
  await page.handshake().catch(() => undefined);
  await eventually(() => page.close !== null, 'the node closes the link');
  assert.equal(page.close, { code: 4000, reason: 'a web page (a request with Origin) must join as kind "browser"' });
  await eventually(() => node.connectionCount === 0, 'the connection is gone');
  assert.equal(node.peers(), []);
});

test('webUi: false serves no page but keeps /access and /status; bad allowOrigins throw', async () => {
  const node = await startWebNode({ name: 'n', webUi: false });
  const base = `http://127.0.0.1:${node.port}`;
  assert.is((await fetch(`${base}/`)).status, 404);
  assert.is((await fetch(`${base}/app.js`)).status, 404);
  assert.is((await fetch(`${base}/access`)).status, 200);
  assert.is((await fetch(`${base}/status`)).status, 200);
  assert.throws(() => createNode({ allowOrigins: ['not an origin'] }), /^option allowOrigins: "not an origin" is not an origin like/);
});

test('a page that closes while the node keeps pinging it ends cleanly (no ping on a closing socket)', async () => {
  const node = await startWebNode({ name: 'n', pingInterval: 20, pingTimeout: 5000 });
  const connected = nextEvent<[PeerInfo]>(node, 'peer:connected');
  // A WebSocket does not hand out its socket: Node's 'net.client.socket' channel tells the page's TCP socket.
  const dialled: Socket[] = [];
  const onSocket = (message: unknown) => dialled.push((message as { socket: Socket }).socket);
  subscribe('net.client.socket', onSocket);
  const page = await RawPeer.join(`ws://127.0.0.1:${node.port}/`, { origin: `http://127.0.0.1:${node.port}`, kind: 'browser', name: 'tab' });
  unsubscribe('net.client.socket', onSocket);
  const pageSocket = dialled.find((socket) => socket.remotePort === node.port);
  assert.ok(pageSocket, 'the page socket');
  assert.is((await connected)[0].kind, 'browser');
  // The page sends its close frame and then stops reading: the node's side stays CLOSING while its ping timer runs.
  page.ws.close(1001, 'tab closed');
  pageSocket.pause();
  const [, reason] = await nextEvent<[PeerInfo, DisconnectReason]>(node, 'peer:disconnected', 20_000);
  assert.equal(reason, { type: 'close', code: 1001, reason: 'tab closed', by: 'remote' });
  page.ws.terminate();
});

test.run();
