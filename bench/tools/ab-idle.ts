import path from 'node:path';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type * as WebSocketModule from '../../src/transport/websocket.ts';

/**
 * A/B of the heap an idle connection costs in two builds, in one process, interleaved: each round creates N
 * server-role WebSockets (each over its own in-memory Duplex, which both builds pay alike) with one build,
 * then with the other, and reads heapUsed after a full GC. Prints bytes per connection and B - A:
 *   node --expose-gc --import tsx bench/tools/ab-idle.ts BUILD_A BUILD_B [--rounds 7] [--connections 20000]
 * BUILD_* are `tsc -p tsconfig.build.json --outDir DIR` trees (as for ab-parse.ts). This isolates the
 * objects the codec and the WebSocket add per connection; `npm run bench -- --only connections` measures
 * whole idle TCP connections (sockets, handshake) of the current tree against ws.
 */

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function load(build: string): Promise<typeof WebSocketModule.WebSocket> {
  const url = pathToFileURL(path.join(path.resolve(build), 'transport/websocket.js')).href;
  return ((await import(url)) as typeof WebSocketModule).WebSocket;
}

function newSocket(): Duplex {
  return new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } });
}

/** Heap bytes per connection: N sockets alone, then N sockets with a WebSocket each (after startReading). */
async function perConnection(WebSocket: typeof WebSocketModule.WebSocket, count: number): Promise<number> {
  const held: unknown[] = [];
  gc!();
  const base = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) held.push(newSocket());
  gc!();
  const socketsOnly = process.memoryUsage().heapUsed - base;
  held.length = 0;
  gc!();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) held.push(new WebSocket(newSocket(), { role: 'server' }));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  gc!();
  const used = process.memoryUsage().heapUsed - before - socketsOnly;
  held.length = 0;
  return used / count;
}

const [buildA, buildB] = process.argv.slice(2, 4);
if (!buildA || !buildB) throw new Error('usage: ab-idle.ts BUILD_A BUILD_B [--rounds N] [--connections N]');
const rounds = argument('rounds', 7);
const count = argument('connections', 20_000);
const [A, B] = [await load(buildA), await load(buildB)];
await perConnection(A, count);
await perConnection(B, count);
const bytesA: number[] = [];
const bytesB: number[] = [];
for (let round = 0; round < rounds; round++) {
  if (round % 2 === 0) {
    bytesA.push(await perConnection(A, count));
    bytesB.push(await perConnection(B, count));
  } else {
    bytesB.push(await perConnection(B, count));
    bytesA.push(await perConnection(A, count));
  }
}
console.log(`A = ${buildA}\nB = ${buildB}\n${rounds} interleaved rounds of ${count} idle server-role WebSockets (socket cost subtracted)\n`);
console.log('| heap per connection | A bytes | B bytes | B - A | B/A |\n| --- | --- | --- | --- | --- |');
const a = median(bytesA);
const b = median(bytesB);
console.log(`| WebSocket + Protocol + FrameParser | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b - a).toFixed(0)} | ${(b / a).toFixed(3)}x |`);
console.log(`\nrounds A: ${bytesA.map((x) => x.toFixed(0)).join(' ')}\nrounds B: ${bytesB.map((x) => x.toFixed(0)).join(' ')}`);
