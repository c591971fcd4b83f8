import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from '../../src/transport/websocket.ts';
import { clientFrame, socketPair } from './socket-pair.ts';

test('send() returns false above the high-water mark, drain follows, and nothing is dropped', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server', highWaterMark: 256 * 1024 });
  const client = new WebSocket(clientSocket, { role: 'client' });
  clientSocket.pause();
  await once(server, 'open');
  const message = Buffer.alloc(64 * 1024, 1);
  let sent = 0;
  while (server.send(message)) sent++;
  sent++;
  assert.ok(server.bufferedAmount >= 256 * 1024, `bufferedAmount ${server.bufferedAmount}`);
  let received = 0;
  client.on('message', (data) => (received += (data as Buffer).length));
  const drained = once(server, 'drain');
  clientSocket.resume();
  await drained;
  while (received < sent * message.length) await once(client, 'message');
  assert.is(received, sent * message.length);
  server.terminate();
});

test('a ping flood from a peer that does not read keeps the send buffer bounded; the latest ping is answered', async () => {
  const [serverSocket, raw] = await socketPair();
  const highWaterMark = 64 * 1024;
  const server = new WebSocket(serverSocket, { role: 'server', highWaterMark });
  raw.pause();
  let maxBuffered = 0;
  let pings = 0;
  server.on('ping', () => {
    pings++;
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
  });
  const total = 100_000;
  const payload = (i: number) => Buffer.from(String(i).padStart(125, '0'));
  for (let i = 0; i < total; i += 1000) {
    const batch = Buffer.concat(Array.from({ length: 1000 }, (_, j) => clientFrame(0x89, payload(i + j))));
    if (!raw.write(batch)) await once(raw, 'drain');
  }
  while (pings < total) await once(server, 'ping');
  assert.ok(maxBuffered <= highWaterMark + 200, `send buffer reached ${maxBuffered} bytes`);
  const received: Buffer[] = [];
  raw.on('data', (chunk) => received.push(chunk));
  raw.resume();
  const lastPong = Buffer.concat([Buffer.from([0x8a, 125]), payload(total - 1)]);
  while (!Buffer.concat(received).subarray(-127).equals(lastPong)) await once(raw, 'data');
  server.terminate();
  raw.destroy();
});

test.run();
