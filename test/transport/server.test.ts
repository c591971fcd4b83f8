import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer, type UpgradeRequest, type WebSocketServerOptions } from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { nextEvent, withTimeout } from '../helpers/timeout.ts';
import { RFC_ACCEPT, exchange, rawConnect, rejection, statusLine, upgradeRequest } from './raw-client.ts';

const servers = new Set<WebSocketServer>();

/** A standalone server on 127.0.0.1 that echoes every message; closed after each test. */
async function echoServer(options: WebSocketServerOptions = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', ...options });
  servers.add(wss);
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const { port } = await wss.listen();
  return { wss, port };
}

test.after.each(async () => {
  await Promise.all([...servers].map((wss) => withTimeout(wss.close(), 15_000, 'closing a test server')));
  servers.clear();
});

test('echo over our connect(): text and binary; request info and clients set', async () => {
  const { wss, port } = await echoServer();
  const connected = nextEvent<[WebSocket, UpgradeRequest]>(wss, 'connection');
  const ws = await connect(`ws://127.0.0.1:${port}/room?x=1`);
  const [serverSide, request] = await connected;
  assert.is(request.path, '/room');
  assert.is(request.target, '/room?x=1');
  assert.is(request.remoteAddress, '127.0.0.1');
  assert.is(request.headers.get('host'), `127.0.0.1:${port}`);
  assert.ok(wss.clients.has(serverSide));
  assert.is(wss.clients.size, 1);

  ws.send('héllo');
  assert.equal(await nextEvent(ws, 'message'), ['héllo', false]);
  ws.send(Buffer.from([0, 1, 2, 255]));
  const [data, isBinary] = await nextEvent<[Buffer, boolean]>(ws, 'message');
  assert.equal([...data], [0, 1, 2, 255]);
  assert.is(isBinary, true);

  const serverClosed = nextEvent(serverSide, 'close');
  ws.close(1000, 'done');
  await serverClosed;
  assert.is(wss.clients.size, 0);
});

test('request.remoteAddress/remotePort: the client socket as the server saw it, still there after the connection closed', async () => {
  const { wss, port } = await echoServer();
  const seen = new Promise<UpgradeRequest>((resolve) => wss.once('connection', (_ws, request) => resolve(request)));
  const raw = await rawConnect(port);
  raw.socket.write(upgradeRequest('/'));
  const request = await seen;
  const clientPort = raw.socket.localPort;
  const [serverSide] = [...wss.clients];
  // (nextEvent would reject on the reset's 'error' event.)
  const closed = new Promise((resolve) => serverSide!.once('close', resolve));
  raw.socket.destroy();
  await closed;
  // Not read before the close: an application that logs it on disconnect still gets it (a lazy getpeername would not).
  assert.is(request.remoteAddress, '127.0.0.1');
  assert.is(request.remotePort, clientPort);
  assert.is(JSON.parse(JSON.stringify(request)).remotePort, clientPort);
});

test('request in several reads with a frame in the last one: exact 101, then the frame is processed', async () => {
  const { port } = await echoServer();
  const raw = await rawConnect(port);
  const request = upgradeRequest('/');
  const maskedHello = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  raw.socket.write(request.slice(0, 5));
  await new Promise((resolve) => setTimeout(resolve, 20));
  raw.socket.write(request.slice(5, 60));
  await new Promise((resolve) => setTimeout(resolve, 20));
  raw.socket.write(Buffer.concat([Buffer.from(request.slice(60)), maskedHello]));
  const expected101 = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${RFC_ACCEPT}\r\n\r\n`;
  const echo = Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  const received = await raw.until((bytes) => bytes.length >= expected101.length + echo.length, 'the 101 and the echo');
  assert.is(received.subarray(0, expected101.length).toString('latin1'), expected101);
  assert.equal([...received.subarray(expected101.length)], [...echo]);
  raw.socket.destroy();
});

test('bad requests get their status and a closed connection', async () => {
  const { wss, port } = await echoServer({ path: '/ws' });
  const rejected: number[] = [];
  wss.on('rejected', (error) => rejected.push(error.status!));
  const cases: Array<[string, string]> = [
    [upgradeRequest('/ws').replace('GET', 'POST'), 'HTTP/1.1 405 Method Not Allowed'],
    [upgradeRequest('/ws').replace(/Sec-WebSocket-Key: .*\r\n/, ''), 'HTTP/1.1 400 Bad Request'],
    [upgradeRequest('/ws').replace('Version: 13', 'Version: 8'), 'HTTP/1.1 426 Upgrade Required'],
    ['GET /ws HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 426 Upgrade Required'],
    [upgradeRequest('/ws').replace('HTTP/1.1', 'HTTP/1.0'), 'HTTP/1.1 400 Bad Request'],
    [upgradeRequest('/other'), 'HTTP/1.1 404 Not Found'],
    ['hello there\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['GET /ws HTTP/1.1\nHost: x\n\n', 'HTTP/1.1 400 Bad Request'],
    [`GET /ws HTTP/1.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
  ];
  for (const [request, expected] of cases) {
    const response = await exchange(port, request);
    assert.is(statusLine(response), expected, JSON.stringify(request.slice(0, 40)));
    assert.ok(response.includes('\r\nConnection: close\r\n') || response.includes('\r\nConnection: Upgrade, close\r\n'));
    const [head, body] = response.split('\r\n\r\n');
    assert.ok(head.includes(`Content-Length: ${Buffer.byteLength(body)}`), response);
  }
  assert.equal(rejected, [405, 400, 426, 426, 400, 404, 400, 400, 431]);
  assert.is(wss.clients.size, 0);
});

test('maxHeaderSize option: a smaller limit gives 431 early', async () => {
  const { port } = await echoServer({ maxHeaderSize: 256 });
  const response = await exchange(port, upgradeRequest('/', [`X-Pad: ${'p'.repeat(300)}`]));
  assert.is(statusLine(response), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.ok(response.endsWith('HTTP head is larger than the limit of 256 bytes\n'));
});

test('a client that never finishes its request is answered 408 and dropped after handshakeTimeout', async () => {
  const { wss, port } = await echoServer({ handshakeTimeout: 200 });
  const rejected = nextEvent<[WsHandshakeError]>(wss, 'rejected');
  const response = await exchange(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  assert.is(statusLine(response), 'HTTP/1.1 408 Request Timeout');
  assert.ok(response.endsWith('request not complete within 200 ms\n'));
  assert.is((await rejected)[0].status, 408);
});

test('several unfinished requests arriving one after another each get their 408; a complete one in between opens', async () => {
  // One timer serves all pending handshakes (re-armed for the next deadline): every one must still fire.
  const { wss, port } = await echoServer({ handshakeTimeout: 150 });
  const statuses: number[] = [];
  wss.on('rejected', (error) => statuses.push(error.status ?? 0));
  const pending: Array<Promise<string>> = [];
  for (let i = 0; i < 3; i++) {
    pending.push(exchange(port, `GET /${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n`));
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  ws.send('still open');
  assert.is(String((await nextEvent<[Buffer]>(ws, 'message'))[0]), 'still open');
  const responses = await Promise.all(pending);
  assert.equal(responses.map(statusLine), Array(3).fill('HTTP/1.1 408 Request Timeout'));
  assert.equal(statuses, [408, 408, 408]);
  assert.is(ws.readyState, 1);
  ws.close();
});

test('a client that resets mid-handshake or mid-refusal does not disturb the server', async () => {
  const { wss, port } = await echoServer();
  let errors = 0;
  wss.on('error', () => errors++);
  for (const partial of ['GET / HTTP/1.1\r\nHo', 'POST / HTTP/1.1\r\n\r\n']) {
    const raw = await rawConnect(port);
    raw.socket.write(partial);
    raw.socket.resetAndDestroy();
  }
  const socket = netConnect({ port, host: '127.0.0.1' });
  await nextEvent(socket, 'connect');
  socket.destroy();
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  ws.send('still alive');
  assert.equal(await nextEvent(ws, 'message'), ['still alive', false]);
  ws.terminate();
  assert.is(errors, 0);
});

test('subprotocols: server preference order, none acceptable -> no protocol', async () => {
  const { port } = await echoServer({ protocols: ['v2', 'v1'] });
  assert.is((await connect(`ws://127.0.0.1:${port}/`, { protocols: ['v1', 'v2'] })).protocol, 'v2');
  assert.is((await connect(`ws://127.0.0.1:${port}/`, { protocols: ['v1', 'x'] })).protocol, 'v1');
  assert.is((await connect(`ws://127.0.0.1:${port}/`, { protocols: ['x'] })).protocol, '');
  assert.is((await connect(`ws://127.0.0.1:${port}/`)).protocol, '');
});

test('handleProtocols overrides protocols and sees the offer in the client order', async () => {
  const offers: string[][] = [];
  const { port } = await echoServer({
    protocols: ['a'],
    handleProtocols: (offered) => (offers.push([...offered]), offered.at(-1)),
  });
  assert.is((await connect(`ws://127.0.0.1:${port}/`, { protocols: ['a', 'b', 'c'] })).protocol, 'c');
  assert.equal(offers, [['a', 'b', 'c']]);
});

test('close(): stops listening, closes connections with 1001 and waits, emits close', async () => {
  const { wss, port } = await echoServer();
  const clients = await Promise.all([connect(`ws://127.0.0.1:${port}/`), connect(`ws://127.0.0.1:${port}/`)]);
  const closes = clients.map((ws) => nextEvent<[number, string, boolean]>(ws, 'close'));
  const serverClosed = nextEvent(wss, 'close');
  await wss.close();
  await serverClosed;
  for (const closed of closes) assert.equal(await closed, [1001, 'server shutting down', true]);
  assert.is(wss.clients.size, 0);
  assert.match((await rejection(connect(`ws://127.0.0.1:${port}/`))).message, /ECONNREFUSED/);
  assert.is(wss.close(), wss.close(), 'later calls share the same promise');
});

test('close(): a peer that never answers the close frame is terminated after shutdownTimeout', async () => {
  const { wss, port } = await echoServer({ shutdownTimeout: 200, closeTimeout: 60_000 });
  const raw = await rawConnect(port);
  raw.socket.write(upgradeRequest('/'));
  await raw.until((bytes) => bytes.includes('\r\n\r\n'), 'the 101');
  await withTimeout(wss.close(), 10_000, 'close() with a silent peer');
  const received = await raw.closed;
  const closeFrame = received.subarray(received.indexOf('\r\n\r\n') + 4);
  assert.equal([...closeFrame.subarray(0, 4)], [0x88, 2 + 'server shutting down'.length, 0x03, 0xe9]);
});

test('listen(): rejects when the port is taken; listen() is for standalone mode only', async () => {
  const { port } = await echoServer();
  const second = new WebSocketServer({ host: '127.0.0.1', port });
  assert.match((await rejection(second.listen())).message, /EADDRINUSE/);
  await second.close();
  assert.match((await rejection(new WebSocketServer({ noServer: true }).listen())).message, /standalone mode/);
  assert.throws(() => new WebSocketServer({ noServer: true, port: 1 }), /standalone mode/);
});

test('listening event and address()', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1' });
  servers.add(wss);
  const listening = nextEvent(wss, 'listening');
  const address = await wss.listen();
  await listening;
  assert.equal(wss.address(), address);
  assert.is(address.address, '127.0.0.1');
});

test.run();
