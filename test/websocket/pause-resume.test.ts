// WebSocket.pause()/resume() (as in ws): reading from the peer stops and starts again; nothing is lost or reordered.
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from '../../src/transport/websocket.ts';
import { socketPair } from './socket-pair.ts';
import { waitFor } from '../mesh/support.ts';

const turns = (n: number) => new Promise<void>((resolve) => {
  const step = (left: number) => (left === 0 ? resolve() : setTimeout(() => step(left - 1), 5));
  step(n);
});

test('pause() stops the messages after the chunk being read; resume() delivers the rest in order', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const client = new WebSocket(clientSocket, { role: 'client' });
  await once(server, 'open');
  const received: string[] = [];
  server.on('message', (data) => {
    received.push(data as string);
    if (data === 'm2') server.pause();
  });
  client.send('m1');
  client.send('m2');
  await waitFor(() => received.length >= 2, 'm1 and m2');
  assert.is(server.isPaused, true);
  for (let i = 3; i <= 6; i++) client.send(`m${i}`);
  await turns(10);
  // m1 and m2 may have come in one chunk with nothing behind them: the later sends wait in the socket.
  assert.equal(received, ['m1', 'm2'], 'nothing read while paused');
  server.resume();
  assert.is(server.isPaused, false);
  await waitFor(() => received.length === 6, 'the rest after resume()');
  assert.equal(received, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  client.close(1000, 'done');
  const [code] = await once(server, 'close');
  assert.is(code, 1000);
});

test('pause() before the connection reads anything holds the first messages; close while paused waits for resume()', async () => {
  const [serverSocket, clientSocket] = await socketPair();
  const server = new WebSocket(serverSocket, { role: 'server' });
  const client = new WebSocket(clientSocket, { role: 'client' });
  server.pause();
  const received: string[] = [];
  server.on('message', (data) => received.push(data as string));
  await once(client, 'open');
  client.send('early');
  client.close(1000, 'bye');
  await turns(10);
  assert.equal(received, []);
  assert.is(server.readyState, WebSocket.OPEN, 'the close frame is not read either');
  // resume() twice is the same as once; pause/resume does not restart reading the codec paused for itself.
  server.resume();
  server.resume();
  const [code, reason] = await once(server, 'close');
  assert.equal(received, ['early']);
  assert.is(code, 1000);
  assert.is(reason, 'bye');
  server.pause();
  assert.is(server.isPaused, false, 'pause() after CLOSED does nothing');
});

test.run();
