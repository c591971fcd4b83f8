// Slowloris: a client that sends its handshake one byte per second is dropped at the handshake timeout,
// by the standalone WebSocketServer and by the mesh node's port (Node's http.Server under it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RejectionInfo } from '../../src/mesh/node.ts';
import type { WsHandshakeError } from '../../src/protocol/errors.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { startNode } from '../mesh/support.ts';
import { rawConnect } from '../transport/raw-client.ts';
import { slowloris, statusOf } from './attacks.ts';
import { startServer, stopAll } from './servers.ts';

const HANDSHAKE_TIMEOUT = 1500;

test.after.each(stopAll);

test('standalone server: one byte per second is answered 408 and closed at handshakeTimeout', async () => {
  const { wss, port } = await startServer({ handshakeTimeout: HANDSHAKE_TIMEOUT });
  const rejected: WsHandshakeError[] = [];
  wss.on('rejected', (error) => rejected.push(error));
  let connections = 0;
  wss.on('connection', () => connections++);
  const outcome = await withTimeout(slowloris(port), 10_000, 'the server dropping the slow client');
  assert.is(statusOf(outcome), 'HTTP/1.1 408 Request Timeout');
  assert.ok(outcome.received.toString('latin1').endsWith(`request not complete within ${HANDSHAKE_TIMEOUT} ms\n`));
  assert.ok(outcome.sent >= 1 && outcome.sent < 10, `sent ${outcome.sent} bytes before the drop`);
  assert.equal(rejected.map((error) => error.status), [408]);
  assert.is(connections, 0);
});

test('mesh node: one byte per second on its port is answered 408 and closed at handshakeTimeout, and reported', async () => {
  const node = await startNode({ name: 'target', handshakeTimeout: HANDSHAKE_TIMEOUT });
  const rejected: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => rejected.push(info));
  const outcome = await withTimeout(slowloris(node.port), 10_000, 'the node dropping the slow client');
  assert.is(statusOf(outcome), 'HTTP/1.1 408 Request Timeout');
  assert.ok(outcome.received.toString('latin1').endsWith(`request head not complete within ${HANDSHAKE_TIMEOUT} ms\n`));
  assert.ok(outcome.sent >= 1 && outcome.sent < 10, `sent ${outcome.sent} bytes before the drop`);
  assert.equal(rejected, [
    { url: null, direction: 'inbound', peerId: null, code: 408, reason: `request head not complete within ${HANDSHAKE_TIMEOUT} ms`, by: 'local', remoteAddress: '127.0.0.1' },
  ]);
  assert.is(node.connectionCount, 0);
});

test('mesh node: a page request sent slowly is dropped too, and a connection that sends nothing is closed unreported', async () => {
  const node = await startNode({ name: 'target', handshakeTimeout: HANDSHAKE_TIMEOUT });
  const rejected: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => rejected.push(info));
  const idle = await rawConnect(node.port);
  const page = await rawConnect(node.port);
  page.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const [idleAnswer, pageAnswer] = await Promise.all([idle.closed, page.closed]);
  assert.is(pageAnswer.toString('latin1').split('\r\n')[0], 'HTTP/1.1 408 Request Timeout');
  assert.is(idleAnswer.toString('latin1').split('\r\n')[0], 'HTTP/1.1 408 Request Timeout');
  assert.equal(rejected.map((info) => info.code), [408]);
});

test.run();
