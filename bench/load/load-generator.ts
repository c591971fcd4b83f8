import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';
import { percentile } from '../lib/stats.ts';
import { buildFrameBatch, buildMaskedFrame, checkUpgradeResponse, FrameCounter, makePayload, upgradeKey, upgradeRequest } from './frames.ts';

/**
 * The neutral load generator: a raw `net` client that is neither library under test. It sends pre-built
 * masked frames, keeps `inflight` messages outstanding per connection and counts echoed frames from their
 * headers. Modes: 'ws' (opening handshake first) or 'raw' (plain TCP echo server).
 */

type Mode = 'ws' | 'raw';

interface EchoRun {
  sockets: net.Socket[];
  counters: FrameCounter[];
}

let run: EchoRun | null = null;
let idleSockets: net.Socket[] = [];

function openSocket(port: number, mode: Mode): Promise<{ socket: net.Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      if (mode === 'raw') {
        socket.off('error', reject);
        resolve({ socket, rest: Buffer.alloc(0) });
        return;
      }
      const { request, expectedAccept } = upgradeRequest(port);
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('error', reject);
        const problem = checkUpgradeResponse(received.subarray(0, end + 2).toString('latin1'), expectedAccept);
        if (problem) {
          socket.destroy();
          reject(new Error(problem));
        } else resolve({ socket, rest: received.subarray(end + 4) });
      };
      socket.on('data', onData);
      socket.write(request);
    });
  });
}

async function openAll(port: number, mode: Mode, count: number, concurrency: number): Promise<Array<{ socket: net.Socket; rest: Buffer }>> {
  const opened: Array<{ socket: net.Socket; rest: Buffer }> = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      opened.push(await openSocket(port, mode));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return opened;
}

function closeSockets(sockets: net.Socket[]): void {
  // A reset leaves no TIME_WAIT behind, so repeated runs never exhaust ephemeral ports.
  for (const socket of sockets) {
    socket.on('error', () => {});
    if (!socket.destroyed) socket.resetAndDestroy();
  }
}

async function startEcho(payload: Record<string, unknown>): Promise<void> {
  if (run) throw new Error('an echo run is already going');
  const { port, mode, size, binary, connections, inflight } = payload as {
    port: number; mode: Mode; size: number; binary: boolean; connections: number; inflight: number;
  };
  const { batch, frameLength } = buildFrameBatch(makePayload(size, binary), binary, inflight);
  const opened = await openAll(port, mode, connections, 64);
  const expectedOpcode = mode === 'raw' ? (binary ? 2 : 1) : binary ? 2 : 1;
  const current: EchoRun = { sockets: [], counters: [] };
  for (const { socket, rest } of opened) {
    let owed = 0;
    const counter = new FrameCounter(expectedOpcode, size, () => owed++);
    socket.on('data', (chunk: Buffer) => {
      counter.push(chunk);
      if (owed > 0) {
        socket.write(batch.subarray(0, owed * frameLength));
        owed = 0;
      }
    });
    socket.on('error', () => {});
    current.sockets.push(socket);
    current.counters.push(counter);
    if (rest.length > 0) counter.push(rest);
    socket.write(batch);
  }
  run = current;
}

function snapshot(): Record<string, unknown> {
  if (!run) throw new Error('no echo run');
  let frames = 0;
  let bytes = 0;
  let problem: string | null = null;
  for (const counter of run.counters) {
    frames += counter.frames;
    bytes += counter.payloadBytes;
    problem ??= counter.problem;
  }
  return { messages: frames, bytes, problem, ...cpuSnapshot() };
}

function stopEcho(): void {
  if (run) closeSockets(run.sockets);
  run = null;
}

/** One message at a time; each round trip timed from write to the last byte of the echoed frame. */
async function latency(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { port, mode, size, iterations, warmup } = payload as { port: number; mode: Mode; size: number; iterations: number; warmup: number };
  const message = makePayload(size, true);
  const frame = buildMaskedFrame(message, true);
  const [{ socket, rest }] = await openAll(port, mode, 1, 1);
  const expectedLength = mode === 'raw' ? frame.length : frame.length - 4;
  const samples: number[] = [];
  try {
    let pending = rest;
    for (let i = 0; i < warmup + iterations; i++) {
      const started = process.hrtime.bigint();
      socket.write(frame);
      const echoed = await readExactly(socket, pending, expectedLength);
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      pending = echoed.rest;
      if (i === 0) checkEchoedPayload(echoed.bytes, message);
      if (i >= warmup) samples.push(elapsed);
    }
  } finally {
    closeSockets([socket]);
  }
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean, count: samples.length };
}

function readExactly(socket: net.Socket, pending: Buffer, length: number): Promise<{ bytes: Buffer; rest: Buffer }> {
  if (pending.length >= length) return Promise.resolve({ bytes: pending.subarray(0, length), rest: pending.subarray(length) });
  return new Promise((resolve, reject) => {
    let buffered = pending;
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (buffered.length < length) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ bytes: buffered.subarray(0, length), rest: buffered.subarray(length) });
    };
    const onClose = () => reject(new Error('connection closed during a latency round trip'));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** The first echo of a latency run is compared byte for byte (unmasking when the echo is masked). */
function checkEchoedPayload(frame: Buffer, expected: Buffer): void {
  const masked = (frame[1]! & 0x80) !== 0;
  const headerLength = 2 + (masked ? 4 : 0);
  const body = Buffer.from(frame.subarray(headerLength));
  if (masked) for (let i = 0; i < body.length; i++) body[i]! ^= frame[2 + (i & 3)]!;
  if (frame[0] !== 0x82 || !body.equals(expected)) throw new Error('the echoed frame differs from the message sent');
}

/**
 * The C load generator (bench/load/handshake-flood.c), one per server port, started by the first 'open-idle'
 * that names it and given keys made here (it computes no hashes); it holds the connections it opened until
 * 'close-idle'.
 */
let flood: { port: number; child: ChildProcessByStdio<Writable, Readable, null>; lines: AsyncIterator<string> } | null = null;
const FLOOD_KEYS = 256;

function startFlood(binary: string, port: number): void {
  if (flood !== null && flood.port === port) return;
  stopFlood();
  const child = spawn(binary, [String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', () => {});
  for (let i = 0; i < FLOOD_KEYS; i++) {
    const { key, expectedAccept } = upgradeKey();
    child.stdin.write(`key ${key} ${expectedAccept}\n`);
  }
  flood = { port, child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
}

async function floodCommand(command: string): Promise<Record<string, unknown>> {
  flood!.child.stdin.write(`${command}\n`);
  const line = await flood!.lines.next();
  if (line.done) throw new Error(`handshake-flood exited (${flood!.child.exitCode ?? flood!.child.signalCode})`);
  return JSON.parse(line.value) as Record<string, unknown>;
}

function stopFlood(): void {
  flood?.child.stdin.end();
  flood = null;
}

async function openIdle(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { port, count, concurrency, flood: binary } = payload as { port: number; count: number; concurrency: number; flood?: string };
  if (binary !== undefined) {
    startFlood(binary, port);
    const result = await floodCommand(`open ${count} ${concurrency}`);
    if (result.problem !== null) throw new Error(`handshake-flood: ${String(result.problem)} (${String(result.opened)} of ${count} opened)`);
    return result;
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const opened = await openAll(port, 'ws', count, concurrency);
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  for (const { socket } of opened) {
    socket.on('error', () => {});
    idleSockets.push(socket);
  }
  // This process's CPU time (user + system) while opening: what the clients themselves spend per handshake.
  return { elapsedMs, opened: opened.length, cpuMicros: used.user + used.system };
}

async function closeIdle(): Promise<void> {
  if (flood !== null) {
    await floodCommand('close');
    stopFlood();
  }
  closeSockets(idleSockets);
  idleSockets = [];
}

serveCommands(
  { pid: process.pid },
  { start: startEcho, snapshot, stop: stopEcho, latency, 'open-idle': openIdle, 'close-idle': closeIdle },
);
