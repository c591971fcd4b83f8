import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeAcceptKey } from '../../src/handshake/accept-key.ts';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer, type UpgradeRequest } from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { requirePeer } from '../helpers/require-peer.ts';
import { nextEvent, withTimeout } from '../helpers/timeout.ts';
import { rejection } from './raw-client.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];

test.after.each(async () => {
  for (const cleanup of cleanups.reverse()) await withTimeout(Promise.resolve(cleanup()), 15_000, 'cleanup');
  cleanups.length = 0;
});

async function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}, host = '127.0.0.1') {
  const wss = new WebSocketServer({ host, ...options });
  cleanups.push(() => wss.close());
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const { port } = await wss.listen();
  return { wss, port };
}

/**
 * A fake server: reads the request head and writes `answer(request, key)`; null answers nothing.
 * With `endAfter`, closes the connection after answering.
 */
async function fakeServer(answer: (request: string, key: string) => string | Buffer | null, endAfter = false) {
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(request)?.[1] ?? '';
      const bytes = answer(request, key);
      if (bytes === null) return;
      if (endAfter) socket.end(bytes);
      else socket.write(bytes);
    });
  });
  const port = await listenOnFreePort(server);
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  });
  return port;
}

function switching(key: string, extra: string[] = []): string {
  return ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`, ...extra, '', ''].join('\r\n');
}

async function handshakeError(promise: Promise<unknown>): Promise<WsHandshakeError> {
  const error = await rejection(promise);
  assert.instance(error, WsHandshakeError);
  return error as WsHandshakeError;
}

test('resolves an OPEN client WebSocket; text and binary echo', async () => {
  const { port } = await echoServer();
  const ws = await connect(`ws://127.0.0.1:${port}/echo`);
  assert.is(ws.readyState, 1);
  assert.is(ws.url, `ws://127.0.0.1:${port}/echo`);
  assert.is(ws.role, 'client');
  ws.send('text ✓');
  assert.equal(await nextEvent(ws, 'message'), ['text ✓', false]);
  const big = Buffer.alloc(70_000, 7);
  ws.send(big);
  const [data, isBinary] = await nextEvent<[Buffer, boolean]>(ws, 'message');
  assert.ok(isBinary);
  assert.ok(data.equals(big));
  ws.close(1000);
  assert.equal(await nextEvent(ws, 'close'), [1000, '', true]);
});

test('frames sent right behind the 101 (same write) reach a listener attached after await connect()', async () => {
  const text = Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  const port = await fakeServer((_, key) => Buffer.concat([Buffer.from(switching(key)), text, text]));
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  await withTimeout(
    new Promise<void>((resolve) => ws.on('message', () => messages.length === 2 && resolve())),
    5000,
    'two messages',
  );
  assert.equal(messages, ['Hello', 'Hello']);
  ws.terminate();
});

test('sends Origin, extra headers and protocols; Host of the URL', async () => {
  const { wss, port } = await echoServer({ protocols: ['b'] });
  const connected = nextEvent<[WebSocket, UpgradeRequest]>(wss, 'connection');
  const ws = await connect(`ws://127.0.0.1:${port}/p?q`, {
    origin: 'http://app.example',
    headers: { 'X-Token': 'abc' },
    protocols: ['a', 'b'],
  });
  const [, request] = await connected;
  assert.is(request.headers.get('origin'), 'http://app.example');
  assert.is(request.headers.get('x-token'), 'abc');
  assert.is(request.headers.get('host'), `127.0.0.1:${port}`);
  assert.equal(request.offeredProtocols, ['a', 'b']);
  assert.is(ws.protocol, 'b');
  ws.terminate();
});

test('refused origin: rejects with 403, quoting the status line and the reason', async () => {
  const { port } = await echoServer({ verifyOrigin: (origin) => origin === 'http://good.example' });
  const error = await handshakeError(connect(`ws://127.0.0.1:${port}/`, { origin: 'http://evil.example' }));
  assert.is(error.status, 403);
  assert.is(error.message, 'server refused the WebSocket handshake: "HTTP/1.1 403 Forbidden": origin "http://evil.example" is not allowed');
  (await connect(`ws://127.0.0.1:${port}/`, { origin: 'http://good.example' })).terminate();
});

test('non-101 answers are quoted; a body is quoted only when it is text', async () => {
  const plain = await fakeServer(() => 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello');
  const ok = await handshakeError(connect(`ws://127.0.0.1:${plain}/`));
  assert.is(ok.status, 200);
  assert.is(ok.message, 'server refused the WebSocket handshake: "HTTP/1.1 200 OK": hello');
  const noBody = await fakeServer(() => 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n{}', true);
  const busy = await handshakeError(connect(`ws://127.0.0.1:${noBody}/`));
  assert.is(busy.status, 503);
  assert.is(busy.message, 'server refused the WebSocket handshake: "HTTP/1.1 503 Service Unavailable"');
});

test('a server that keeps a refusal open without Content-Length does not hold connect() until the timeout', async () => {
  const port = await fakeServer(() => 'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\nlog in');
  const error = await handshakeError(connect(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 60_000 }));
  assert.is(error.message, 'server refused the WebSocket handshake: "HTTP/1.1 401 Unauthorized": log in');
});

test('wrong Sec-WebSocket-Accept, unoffered protocol or extension: rejected, socket closed', async () => {
  const cases: Array<[(key: string) => string, string]> = [
    [() => switching('AAAAAAAAAAAAAAAAAAAAAA=='), 'wrong Sec-WebSocket-Accept'],
    [(key) => switching(key, ['Sec-WebSocket-Protocol: chat']), 'subprotocol "chat", which was not offered'],
    [(key) => switching(key, ['Sec-WebSocket-Extensions: permessage-deflate']), 'extension "permessage-deflate"'],
    [(key) => switching(key).replace('Upgrade: websocket\r\n', ''), 'Upgrade header must be "websocket"'],
  ];
  for (const [answer, message] of cases) {
    const port = await fakeServer((_, key) => answer(key));
    const error = await handshakeError(connect(`ws://127.0.0.1:${port}/`));
    assert.is(error.status, 101);
    assert.ok(error.message.includes(message), error.message);
    assert.ok(error.message.includes('(server answered "HTTP/1.1 101 Switching Protocols")'), error.message);
  }
});

test('handshake timeout: a server that never answers', async () => {
  const port = await fakeServer(() => null);
  const error = await handshakeError(connect(`ws://127.0.0.1:${port}/slow`, { handshakeTimeout: 200 }));
  assert.is(error.message, `handshake with ws://127.0.0.1:${port}/slow not complete within 200 ms`);
});

test('server closes before answering; garbage answer; connection refused', async () => {
  const closing = await fakeServer(() => '', true);
  const closed = await handshakeError(connect(`ws://127.0.0.1:${closing}/`));
  assert.is(closed.message, `ws://127.0.0.1:${closing}/ closed the connection before completing the handshake`);
  const garbage = await fakeServer(() => 'SSH-2.0-OpenSSH\r\n\r\n');
  const invalid = await handshakeError(connect(`ws://127.0.0.1:${garbage}/`));
  assert.ok(invalid.message.startsWith(`invalid HTTP response from ws://127.0.0.1:${garbage}/: malformed HTTP status line`), invalid.message);
  const refusedPort = await fakeServer(() => null);
  await cleanups.pop()!(); // the port is free again
  const refused = await rejection(connect(`ws://127.0.0.1:${refusedPort}/`));
  assert.is((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

test('invalid URL, wss without a server, bad options: rejected before dialing', async () => {
  assert.match((await handshakeError(connect('http://127.0.0.1:1/'))).message, /ws:\/\/ or wss:\/\//);
  assert.match((await handshakeError(connect('ws://127.0.0.1:1/#x'))).message, /fragment/);
  assert.match((await handshakeError(connect('ws://127.0.0.1:1/', { protocols: ['a b'] }))).message, /invalid subprotocol/);
});

test('AbortSignal aborts the handshake', async () => {
  const port = await fakeServer(() => null);
  const controller = new AbortController();
  const pending = connect(`ws://127.0.0.1:${port}/`, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('user gave up')), 50);
  assert.is((await rejection(pending)).message, 'user gave up');
  const already = await rejection(connect(`ws://127.0.0.1:${port}/`, { signal: AbortSignal.abort(new Error('no')) }));
  assert.is(already.message, 'no');
});

test('host name: ws://localhost (IPv4)', async () => {
  const { port } = await echoServer();
  const ws = await connect(`ws://localhost:${port}/`, { family: 4 });
  ws.send('via name');
  assert.equal(await nextEvent(ws, 'message'), ['via name', false]);
  ws.terminate();
});

function ipv6LoopbackAvailable(): Promise<boolean> {
  const probe = createNetServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

if (await ipv6LoopbackAvailable()) {
  test('IPv6 literal: ws://[::1]:port/ with Host [::1]:port', async () => {
    const { wss, port } = await echoServer({}, '::1');
    const connected = nextEvent<[WebSocket, UpgradeRequest]>(wss, 'connection');
    const ws = await connect(`ws://[::1]:${port}/six`);
    const [, request] = await connected;
    assert.is(request.headers.get('host'), `[::1]:${port}`);
    assert.is(request.remoteAddress, '::1');
    ws.send('v6');
    assert.equal(await nextEvent(ws, 'message'), ['v6', false]);
    ws.terminate();
  });
} else {
  console.error('SKIP: no IPv6 loopback (::1) on this machine; the IPv6 test does not run');
}

function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (requirePeer('openssl', opensslAvailable(), { install: 'apt-get install -y openssl' })) {
  test('wss: through tls to a WebSocketServer attached to an https.Server (self-signed, trusted via ca)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsmesh-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    const cert = readFileSync(certFile);
    const server = createHttpsServer({ key: readFileSync(keyFile), cert });
    const port = await listenOnFreePort(server);
    cleanups.push(() => {
      server.closeAllConnections();
      return closeServer(server);
    });
    const wss = new WebSocketServer({ server });
    cleanups.push(() => wss.close());
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`tls:${data}`)));
    const ws = await connect(`wss://localhost:${port}/`, { tls: { ca: cert }, family: 4 });
    ws.send('secret');
    assert.equal(await nextEvent(ws, 'message'), ['tls:secret', false]);
    ws.close();
    await nextEvent(ws, 'close');
    const untrusted = await rejection(connect(`wss://127.0.0.1:${port}/`));
    assert.match(untrusted.message, /self[- ]signed/);
  });
}

test.run();
