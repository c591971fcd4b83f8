// send() on a CLOSING or CLOSED WebSocket discards without throwing (WHATWG / ws), and nothing is delivered
// once the library itself failed the connection (maxBufferedAmount), even messages from the same TCP chunk.
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WsLimitError, WsStateError } from '../../src/protocol/errors.ts';
import { WebSocket } from '../../src/transport/websocket.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { clientFrame, collect, socketPair } from './socket-pair.ts';

test('maxBufferedAmount fails the connection: later messages of the same chunk are not delivered, echoes do not throw', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server', maxBufferedAmount: 150 });
  const raw = collect(clientSocket);
  const delivered: string[] = [];
  const thrown: unknown[] = [];
  const errors: Error[] = [];
  const results: boolean[] = [];
  server.on('error', (error) => errors.push(error));
  server.on('message', (data) => {
    delivered.push(String(data));
    try {
      results.push(server.send(data));
    } catch (error) {
      thrown.push(error);
    }
  });
  const closed = new Promise<[number, string, boolean]>((resolve) => server.once('close', (...args) => resolve(args)));
  await once(server, 'open');
  // Five 100-byte text messages in one write: the second echo passes 150 buffered bytes (the socket is corked).
  const messages = Array.from({ length: 5 }, (_, i) => String(i).repeat(100));
  clientSocket.write(Buffer.concat(messages.map((text) => clientFrame(0x81, text))));
  const [code, reason, wasClean] = await withTimeout(closed, 10_000, 'the close event');
  assert.equal(delivered, messages.slice(0, 2), 'nothing after the failure is delivered');
  assert.equal(thrown, []);
  assert.equal(results, [true, false]);
  assert.is(errors.length, 1);
  assert.instance(errors[0], WsLimitError);
  assert.is((errors[0] as WsLimitError).code, 1008);
  assert.equal([code, wasClean], [1008, false]);
  assert.match(reason as string, 'over maxBufferedAmount of 150');
  // The client got both echoes, then the close frame 1008 with its reason, and nothing else.
  const bytes = raw.bytes();
  const close = Buffer.from([0x88, 2 + 'send buffer limit exceeded'.length, 0x03, 0xf0, ...Buffer.from('send buffer limit exceeded')]);
  assert.ok(bytes.subarray(bytes.length - close.length).equals(close), bytes.toString('hex'));
  assert.is(bytes.length, 2 * 102 + close.length);
});

test('send(), ping() and pong() on CLOSING and CLOSED: no throw, send returns false, the callback gets WsStateError', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const client = new WebSocket(clientSocket, { role: 'client' });
  await once(server, 'open');
  const delivered = new Promise<string>((resolve) => client.once('message', (data) => resolve(String(data))));
  const written = new Promise<Error | undefined>((resolve) => server.send('first', undefined, resolve));
  assert.is(await withTimeout(written, 10_000, 'the send callback'), undefined, 'the callback of an accepted message gets no error');
  assert.is(await delivered, 'first');
  server.close(1000, 'bye');
  assert.is(server.readyState, WebSocket.CLOSING);
  const discarded = (ws: WebSocket) => new Promise<Error | undefined>((resolve) => assert.is(ws.send('late', {}, resolve), false));
  const closingError = await withTimeout(discarded(server), 10_000, 'the callback of a discarded message');
  assert.instance(closingError, WsStateError);
  assert.is(closingError!.message, 'cannot send a message: the WebSocket is CLOSING');
  server.ping('x');
  server.pong('y');
  assert.is(server.send(Buffer.from('late')), false);
  await once(server, 'close');
  assert.is(server.readyState, WebSocket.CLOSED);
  assert.is((await discarded(server))!.message, 'cannot send a message: the WebSocket is CLOSED');
  server.ping();
  assert.is(server.send('no callback'), false);
});

test.run();
