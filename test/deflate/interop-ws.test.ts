import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WS, { WebSocketServer as WsServer } from 'ws';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';

const TEXT = 'compressible text '.repeat(20_000);
const BINARY = Buffer.alloc(200_000, 7);

async function ourEchoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', perMessageDeflate: { threshold: 0 }, ...options });
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const { port } = await server.listen();
  return { server, url: `ws://127.0.0.1:${port}/` };
}

test('ws client with permessage-deflate <-> our server: agreed, compressed on the wire, echoed intact', async () => {
  const { server, url } = await ourEchoServer();
  const client = new WS(url, { perMessageDeflate: { threshold: 0 } });
  let answered: string | undefined;
  client.once('upgrade', (response) => (answered = response.headers['sec-websocket-extensions']));
  await once(client, 'open');
  assert.is(answered, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  const received: Array<[string | Buffer, boolean]> = [];
  client.on('message', (data: Buffer, isBinary: boolean) => received.push([isBinary ? data : data.toString(), isBinary]));
  client.send(TEXT);
  client.send(BINARY);
  while (received.length < 2) await once(client, 'message');
  assert.equal(received, [[TEXT, false], [BINARY, true]]);
  const socket = (client as unknown as { _socket: import('node:net').Socket })._socket;
  assert.ok(socket.bytesRead < (TEXT.length + BINARY.length) / 10, `read ${socket.bytesRead} bytes for ${TEXT.length + BINARY.length}`);
  client.close();
  await once(client, 'close');
  await server.close();
});

test('our client with permessage-deflate <-> ws server with permessage-deflate', async () => {
  const wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
  await once(wss, 'listening');
  let serverExtensions = '';
  wss.on('connection', (ws, request) => {
    serverExtensions = request.headers['sec-websocket-extensions'] ?? '';
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const { port } = wss.address() as import('node:net').AddressInfo;
  const ws: WebSocket = await connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
  assert.is(serverExtensions, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  assert.is(ws.extensions, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  const received: unknown[] = [];
  ws.on('message', (data) => received.push(data));
  ws.send(TEXT);
  ws.send(BINARY);
  ws.send('');
  while (received.length < 3) await once(ws, 'message');
  assert.equal(received, [TEXT, BINARY, '']);
  ws.close(1000);
  await once(ws, 'close');
  await new Promise((resolve) => wss.close(resolve));
});

test('large compressed messages (inflated in the thread pool) and small ones between them arrive in order, both roles', async () => {
  const { server, url } = await ourEchoServer();
  const client = await connect(url, { perMessageDeflate: { threshold: 0 } });
  const received: Array<[string | Buffer, boolean]> = [];
  client.on('message', (data, isBinary) => received.push([data, isBinary]));
  const big = (i: number) => `{"message":${i},"sensor":"t-${i}"} `.repeat(150_000);
  const sent: Array<[string | Buffer, boolean]> = [];
  for (let i = 0; i < 4; i++) sent.push([big(i), false], [`small ${i}`, false], [Buffer.alloc(3 * 1024 * 1024, i), true]);
  for (const [data] of sent) client.send(data);
  while (received.length < sent.length) await once(client, 'message');
  assert.is(received.length, sent.length);
  received.forEach(([data, isBinary], index) => {
    assert.is(isBinary, sent[index]![1], `message ${index}: type`);
    assert.ok(isBinary ? Buffer.compare(data as Buffer, sent[index]![0] as Buffer) === 0 : data === sent[index]![0], `message ${index}: content`);
  });
  client.close(1000);
  await once(client, 'close');
  await server.close();
});

test('without perMessageDeflate our server declines the offer and both sides run uncompressed', async () => {
  const { server, url } = await ourEchoServer({ perMessageDeflate: false });
  const client = new WS(url, { perMessageDeflate: true });
  let answered: string | undefined;
  client.once('upgrade', (response) => (answered = response.headers['sec-websocket-extensions']));
  await once(client, 'open');
  assert.is(answered, undefined);
  client.send('plain');
  const [data] = (await once(client, 'message')) as [Buffer];
  assert.is(data.toString(), 'plain');
  client.close();
  await once(client, 'close');
  await server.close();
});

test('a zip bomb from a ws client is refused with 1009 while inflating', async () => {
  const { server, url } = await ourEchoServer({ maxPayload: 1024 * 1024 });
  const client = new WS(url, { perMessageDeflate: { threshold: 0 } });
  await once(client, 'open');
  client.send(Buffer.alloc(64 * 1024 * 1024));
  const [code] = (await once(client, 'close')) as [number];
  assert.is(code, 1009);
  await server.close();
});

test.run();
