// The node's side of browser peers, without a browser: the origin allowlist at the handshake,
// pages that must join as browsers, and the web UI options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNode } from '../../src/mesh/node.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import type { Socket } from 'node:net';
import { WebSocket as BrowserStyleWebSocket } from 'ws';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import type { PeerInfo } from '../../src/mesh/peer-table.ts';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { nextEvent } from '../helpers/timeout.ts';
import { eventually, startWebNode, stopWebNodes } from './support/nodes.ts';

test.after.each(stopWebNodes);

function dialAs(port: number, origin: string | undefined, host?: string): Promise<WebSocket> {
  return connect(`ws://127.0.0.1:${port}/`, {
    protocols: ['wsmesh.v1'],
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
    assert.is(ws.protocol, 'wsmesh.v1', `answers wsmesh.v1 for origin ${origin}`);
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
  const ws = await dialAs(node.port, `http://127.0.0.1:${node.port}`);
  ws.on('message', (data) => {
    if (JSON.parse(String(data)).t !== 'hello') return;
    const nonce = '00'.repeat(16);
    ws.send(JSON.stringify({ t: 'hello', v: 1, id: 'f'.repeat(32), name: 'fake', mesh: 'wsmesh', kind: 'node', listen: [], nonce, auth: false, boot: 'b' }));
  });
  const [code, reason] = await nextEvent<[number, string]>(ws, 'close');
  assert.equal([code, reason], [4000, 'a web page (a request with Origin) must join as kind "browser"']);
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
  const page = new BrowserStyleWebSocket(`ws://127.0.0.1:${node.port}/`, 'wsmesh.v1', { origin: `http://127.0.0.1:${node.port}` });
  page.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.t !== 'hello') return;
    page.send(JSON.stringify({ t: 'hello', v: 1, id: 'a'.repeat(32), name: 'tab', mesh: message.mesh, kind: 'browser', listen: [], nonce: '0'.repeat(32), auth: false, boot: 'b' }));
  });
  const connected = await nextEvent<[PeerInfo]>(node, 'peer:connected');
  assert.is(connected[0].kind, 'browser');
  // The page sends its close frame and then stops reading: the node's side stays CLOSING while its ping timer runs.
  page.close(1001, 'tab closed');
  (page as unknown as { _socket: Socket })._socket.pause();
  const [, reason] = await nextEvent<[PeerInfo, DisconnectReason]>(node, 'peer:disconnected', 20_000);
  assert.equal(reason, { type: 'close', code: 1001, reason: 'tab closed', by: 'remote' });
  page.terminate();
});

test.run();
