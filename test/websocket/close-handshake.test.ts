import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WsLimitError, WsProtocolError } from '../../src/protocol/errors.ts';
import { WebSocket } from '../../src/transport/websocket.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { clientFrame, collect, socketPair } from './socket-pair.ts';

type CloseArgs = [number, string, boolean];

/** Unlike events.once, this adds no 'error' listener, so it observes the connection as a user without one would. */
function closeEvent(ws: WebSocket): Promise<CloseArgs> {
  return new Promise((resolve) => ws.once('close', (...args) => resolve(args)));
}

test('server-initiated close: echo, then the server closes TCP first', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const client = new WebSocket(clientSocket, { role: 'client' });
  let clientSawEnd = false;
  clientSocket.once('end', () => (clientSawEnd = true));
  const clientClosed = closeEvent(client);
  const serverClosed = closeEvent(server);
  await once(server, 'open');
  server.close(4001, 'bye now');
  assert.is(server.readyState, WebSocket.CLOSING);
  assert.is(server.send('late'), false, 'discarded without throwing');
  assert.equal(await clientClosed, [4001, 'bye now', true]);
  assert.equal(await serverClosed, [4001, 'bye now', true]);
  assert.ok(clientSawEnd, 'the client saw the server end TCP');
  assert.is(client.readyState, WebSocket.CLOSED);
});

test('client-initiated close: the client reports close only after the server ended TCP', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const client = new WebSocket(clientSocket, { role: 'client' });
  const order: string[] = [];
  clientSocket.once('end', () => order.push('client socket end'));
  client.once('close', () => order.push('client close'));
  const serverClosed = closeEvent(server);
  const clientClosed = closeEvent(client);
  await once(client, 'open');
  client.close();
  assert.equal(await serverClosed, [1005, '', true]);
  assert.equal(await clientClosed, [1005, '', true]);
  assert.equal(order, ['client socket end', 'client close']);
});

test('a close the peer never answers ends after closeTimeout with 1006', async () => {
  const [serverSocket, raw] = await socketPair();
  const received = collect(raw);
  const server = new WebSocket(serverSocket, { role: 'server', closeTimeout: 200 });
  const closed = closeEvent(server);
  server.close(1000, 'done');
  assert.equal(await closed, [1006, '', false]);
  assert.equal([...received.bytes()], [0x88, 0x06, 0x03, 0xe8, ...Buffer.from('done')]);
  raw.destroy();
});

for (const allowHalfOpen of [false, true]) {
  test(`a peer that ends TCP without a close frame: the server ends its side too, 1006 (allowHalfOpen ${allowHalfOpen})`, async () => {
    const [serverSocket, raw] = await socketPair({ allowHalfOpen });
    assert.is(serverSocket.allowHalfOpen, allowHalfOpen);
    const received = collect(raw);
    const server = new WebSocket(serverSocket, { role: 'server' });
    const messages: unknown[] = [];
    server.on('message', (data) => messages.push(data));
    const closed = closeEvent(server);
    await once(server, 'open');
    raw.end(clientFrame(0x81, 'last'));
    await withTimeout(received.ended, 5000, 'waiting for the server to end its side');
    assert.equal(await closed, [1006, '', false]);
    assert.equal(messages, ['last']);
    assert.is(received.bytes().length, 0, 'nothing sent back');
  });
}

test('a protocol error sends 1002, emits a typed error and closes with that code', async () => {
  const [serverSocket, raw] = await socketPair();
  const received = collect(raw);
  const server = new WebSocket(serverSocket, { role: 'server' });
  const errors: unknown[] = [];
  server.on('error', (error) => errors.push(error));
  const closed = closeEvent(server);
  raw.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked text from a client
  await received.ended;
  raw.end();
  const [code, , wasClean] = await closed;
  assert.is(code, 1002);
  assert.is(wasClean, false);
  assert.is(errors.length, 1);
  assert.instance(errors[0], WsProtocolError);
  assert.is((errors[0] as WsProtocolError).code, 1002);
  const bytes = received.bytes();
  assert.equal([...bytes.subarray(0, 4)], [0x88, bytes[1]!, 0x03, 0xea]);
});

test('without an error listener a hostile peer does not crash the process', async () => {
  const [serverSocket, raw] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const closed = closeEvent(server);
  raw.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0])); // reserved opcode 0x3
  raw.resume();
  raw.on('end', () => raw.end());
  const [code] = await closed;
  assert.is(code, 1002);
});

test('bytes that followed the handshake (head) are parsed first, before socket data', async () => {
  const [serverSocket, raw] = await socketPair();
  const head = Buffer.concat([clientFrame(0x81, 'one'), clientFrame(0x01, 'tw')]);
  const server = new WebSocket(serverSocket, { role: 'server', head });
  const messages: unknown[] = [];
  server.on('message', (data) => messages.push(data));
  raw.write(clientFrame(0x80, 'o'));
  while (messages.length < 2) await once(server, 'message');
  assert.equal(messages, ['one', 'two']);
  server.terminate();
  raw.destroy();
});

test('terminate closes at once with 1006', async () => {
  const [serverSocket, raw] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const closed = closeEvent(server);
  server.terminate();
  assert.equal(await closed, [1006, '', false]);
  raw.destroy();
});

test('invalid close arguments throw and leave the connection open', async () => {
  const [serverSocket, raw] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  assert.throws(() => server.close(1005), RangeError);
  assert.throws(() => server.close(1000, 'x'.repeat(124)), /124 bytes/);
  assert.throws(() => server.ping(Buffer.alloc(126)), /at most 125/);
  assert.is(server.readyState, WebSocket.OPEN);
  server.terminate();
  raw.destroy();
});

test('a peer that never reads is closed with 1008 once maxBufferedAmount is passed', async () => {
  const [serverSocket, raw] = await socketPair();
  raw.pause();
  const server = new WebSocket(serverSocket, { role: 'server', maxBufferedAmount: 1024 * 1024, closeTimeout: 200 });
  const errors: unknown[] = [];
  server.on('error', (error) => errors.push(error));
  const closed = closeEvent(server);
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < 2000 && server.readyState === WebSocket.OPEN; i++) server.send(chunk);
  assert.is(server.readyState, WebSocket.CLOSING, 'closed by the limit, not by the loop running out');
  const [code, reason] = await closed;
  assert.is(code, 1008);
  assert.match(reason, /maxBufferedAmount of 1048576: the peer is not reading/);
  assert.instance(errors[0], WsLimitError);
  raw.destroy();
});

test.run();
