// Fragment flood: one message in 1,000,000 one-byte fragments, over a socket. The codec collects fragments
// into one growing buffer, so memory follows the message size (bounded by maxPayload), not the fragment count;
// each fragment counts at least 64 bytes against maxPayload, so the flood ends with 1009 (CPU bounded too).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebSocketServerOptions } from '../../src/transport/server.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { asciiBytes, closeCodeOf, oneByteFragments, rawWebSocket, serverFrames, smallFragments } from './attacks.ts';
import { formatGrowth, peakGrowth } from './memory.ts';
import { startServer, stopAll } from './servers.ts';

const FRAGMENTS = 1_000_000;
/** Generous: the 7 MB of frames the attacker sends live in this process too. Not a measurement (see measure.ts). */
const MAX_GROWTH_MIB = 50;
const FLOOD = oneByteFragments(FRAGMENTS);
const TEXT_FLOOD = smallFragments(asciiBytes(FRAGMENTS), 1, 0x1);

test.after.each(stopAll);

/** Polls `check`; a guard against hangs, not a speed assertion. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waiting for ${what}: timed out`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Received {
  messages: Array<{ data: Buffer; isBinary: boolean }>;
  closes: Array<[number, string]>;
}

async function server(options: WebSocketServerOptions): Promise<{ port: number; received: Received }> {
  const { wss, port } = await startServer(options);
  const received: Received = { messages: [], closes: [] };
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => received.messages.push({ data: data as Buffer, isBinary }));
    ws.on('close', (code, reason) => received.closes.push([code, reason]));
  });
  return { port, received };
}

test('1,000,000 one-byte text fragments, default maxPayload: 1009 once the fragments count past 16 MiB (64 bytes each), memory bounded', async () => {
  const { port, received } = await server({});
  const raw = await rawWebSocket(port);
  const { growth } = await peakGrowth(async () => {
    raw.socket.write(TEXT_FLOOD);
    await withTimeout(raw.closed, 30_000, 'the server closing the connection');
    await until(() => received.closes.length > 0, 'the close event on the server');
  });
  console.log(`  ${FRAGMENTS} one-byte text fragments (${TEXT_FLOOD.length} bytes on the wire): ${formatGrowth(growth)}`);
  assert.is(closeCodeOf(serverFrames(raw.received())), 1009);
  assert.equal(received.messages, []);
  // 16 MiB / 64 = 262,144 fragments fit; the header of the next one fails the message.
  assert.equal(received.closes, [
    [1009, 'message of 262145 bytes in fragments counted as 16777280 bytes (each fragment counts at least 64) exceeds maxPayload of 16777216 bytes'],
  ]);
  assert.ok(growth.heapMiB < MAX_GROWTH_MIB, `heap grew by ${growth.heapMiB.toFixed(1)} MiB`);
  assert.ok(growth.rssMiB < MAX_GROWTH_MIB, `RSS grew by ${growth.rssMiB.toFixed(1)} MiB`);
});

test('4 MiB of text in 64-byte fragments, default maxPayload: the message arrives whole', async () => {
  const { port, received } = await server({});
  const raw = await rawWebSocket(port);
  const message = asciiBytes(4 * 1024 * 1024);
  raw.socket.write(smallFragments(message, 64, 0x1));
  await until(() => received.messages.length > 0, 'the fragmented message arriving');
  assert.is(received.messages.length, 1);
  assert.is(received.messages[0].isBinary, false);
  assert.ok(Buffer.from(received.messages[0].data).equals(message), 'the message arrives byte for byte');
  assert.equal(received.closes, []);
  raw.socket.destroy();
});

test('1,000,000 one-byte fragments, maxPayload 100,000: closed with 1009 at the fragment that passes it', async () => {
  const maxPayload = 100_000;
  const { port, received } = await server({ maxPayload });
  const raw = await rawWebSocket(port);
  const { growth } = await peakGrowth(async () => {
    raw.socket.write(FLOOD);
    await withTimeout(raw.closed, 30_000, 'the server closing the connection');
    await until(() => received.closes.length > 0, 'the close event on the server');
  });
  console.log(`  ${FRAGMENTS} fragments against maxPayload ${maxPayload}: ${formatGrowth(growth)}`);
  assert.is(closeCodeOf(serverFrames(raw.received())), 1009);
  assert.equal(received.messages, []);
  assert.equal(received.closes.length, 1);
  assert.is(received.closes[0][0], 1009);
  // 100,000 / 64 = 1,562 fragments fit; the 1,563rd fails the message.
  assert.is(received.closes[0][1], `message of 1563 bytes in fragments counted as 100032 bytes (each fragment counts at least 64) exceeds maxPayload of ${maxPayload} bytes`);
  assert.ok(growth.heapMiB < MAX_GROWTH_MIB, `heap grew by ${growth.heapMiB.toFixed(1)} MiB`);
});

test.run();
