// Fragment flood: one message in 1,000,000 one-byte fragments, over a socket. The codec collects fragments
// into one growing buffer, so memory follows the message size (bounded by maxPayload), not the fragment count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebSocketServerOptions } from '../../src/transport/server.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { closeCodeOf, fragmentedMessage, oneByteFragments, rawWebSocket, serverFrames } from './attacks.ts';
import { formatGrowth, peakGrowth } from './memory.ts';
import { startServer, stopAll } from './servers.ts';

const FRAGMENTS = 1_000_000;
/** Generous: the 7 MB of frames the attacker sends live in this process too. Not a measurement (see measure.ts). */
const MAX_GROWTH_MIB = 50;
const FLOOD = oneByteFragments(FRAGMENTS);

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

test('1,000,000 one-byte fragments within maxPayload: the message arrives whole, memory bounded', async () => {
  const { port, received } = await server({});
  const raw = await rawWebSocket(port);
  const { growth } = await peakGrowth(async () => {
    raw.socket.write(FLOOD);
    await until(() => received.messages.length > 0, 'the fragmented message arriving');
  });
  console.log(`  ${FRAGMENTS} fragments (${FLOOD.length} bytes on the wire): ${formatGrowth(growth)}`);
  assert.is(received.messages.length, 1);
  assert.is(received.messages[0].isBinary, true);
  assert.is(received.messages[0].data.length, FRAGMENTS);
  assert.ok(received.messages[0].data.equals(fragmentedMessage(FRAGMENTS)), 'the message arrives byte for byte');
  assert.ok(growth.heapMiB < MAX_GROWTH_MIB, `heap grew by ${growth.heapMiB.toFixed(1)} MiB`);
  assert.ok(growth.rssMiB < MAX_GROWTH_MIB, `RSS grew by ${growth.rssMiB.toFixed(1)} MiB`);
  raw.socket.destroy();
});

test('1,000,000 one-byte fragments over maxPayload: closed with 1009 at the fragment that passes it', async () => {
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
  assert.match(received.closes[0][1], `message of ${maxPayload + 1} bytes or more exceeds maxPayload of ${maxPayload} bytes`);
  assert.ok(growth.heapMiB < MAX_GROWTH_MIB, `heap grew by ${growth.heapMiB.toFixed(1)} MiB`);
});

test.run();
