// Throughput of a node-to-node link on loopback with and without permessage-deflate, for typical payloads.
// The receiving node runs in a child process (its own event loop and core).
//   npx tsx test/mesh/measure-compression.ts [--megabytes 64]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNode } from '../../src/node.ts';
import type { Compression } from '../../src/mesh/compression.ts';
import { liveLink } from '../../src/mesh/node.ts';

const BASE = { host: '127.0.0.1', mdns: false, pingInterval: 60_000, pingTimeout: 60_000 } as const;

interface Payload {
  name: string;
  make: () => string | Buffer;
}

function jsonRecords(bytes: number): string {
  const records: object[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const record = { id: i, name: `sensor-${i % 97}`, room: ['kitchen', 'hall', 'office'][i % 3], value: Math.round(Math.sin(i) * 1e4) / 100, ok: i % 7 !== 0 };
    size += JSON.stringify(record).length + 1;
    records.push(record);
  }
  return JSON.stringify(records);
}

function logLines(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2024-05-0${1 + (i % 9)}T12:${String(i % 60).padStart(2, '0')}:00Z INFO worker-${i % 8} handled request ${i} in ${(i * 37) % 1000} ms`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

const PAYLOADS: Payload[] = [
  { name: 'chat line, 100 B text', make: () => 'x'.repeat(40) + ' hello everyone, the build is green again '.slice(0, 60) },
  { name: 'JSON records, 4 KiB', make: () => jsonRecords(4096) },
  { name: 'JSON records, 64 KiB', make: () => jsonRecords(65536) },
  { name: 'log text, 1 MiB', make: () => logLines(1 << 20) },
  { name: 'random binary, 64 KiB', make: () => randomBytes(65536) },
];

/** Child process: a node that reports how many messages it received to the parent (once per event-loop turn). */
async function receiver(compression: Compression): Promise<void> {
  const node = createNode({ ...BASE, name: 'receiver', compression });
  let received = 0;
  let reporting = false;
  node.on('message', () => {
    received++;
    if (reporting) return;
    reporting = true;
    setImmediate(() => {
      reporting = false;
      process.send!({ received });
    });
  });
  await node.start();
  process.send!({ url: node.urls[0] });
  process.on('message', async (message: { stop?: boolean }) => {
    if (!message.stop) return;
    await node.stop();
    process.exit(0);
  });
}

async function measure(compression: Compression, data: string | Buffer, totalBytes: number): Promise<{ mbps: number; msgps: number; extensions: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--receiver', compression], { execArgv: ['--import', 'tsx'] });
  let received = 0;
  let onProgress = () => {};
  const url = await new Promise<string>((resolve) =>
    child.on('message', (message: { url?: string; received?: number }) => {
      if (message.url) resolve(message.url);
      if (message.received !== undefined) {
        received = message.received;
        onProgress();
      }
    }),
  );
  const sender = createNode({ ...BASE, name: 'sender', compression, peers: [url] });
  await sender.start();
  await new Promise<void>((resolve) => sender.once('peer:connected', () => resolve()));
  const peerId = sender.peers()[0]!.id;
  const extensions = liveLink(sender, peerId)!.socket.extensions;
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  const count = Math.max(64, Math.ceil(totalBytes / size));
  const window = Math.max(2, Math.min(256, Math.floor((4 << 20) / size)));
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < count && sent - received < window) {
        sender.broadcast(data);
        sent++;
      }
      if (received === count) resolve();
    };
    onProgress = pump;
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  await sender.stop();
  child.send({ stop: true });
  await new Promise((resolve) => child.once('exit', resolve));
  return { mbps: (count * size) / seconds / 1e6, msgps: count / seconds, extensions };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { megabytes: { type: 'string', default: '64' }, receiver: { type: 'string' } } });
  if (values.receiver !== undefined) return receiver(values.receiver as Compression);
  const totalBytes = Number(values.megabytes) * 1e6;
  console.log(`node-to-node broadcast over loopback, ${values.megabytes} MB per case (receiver in a child process)`);
  console.log('| payload | deflated to | off: MB/s (msg/s) | all (deflate): MB/s (msg/s) | deflate / off |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const payload of PAYLOADS) {
    const data = payload.make();
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const deflated = bytes.length < 1024 ? 'not (< 1024 B)' : `${((100 * deflateRawSync(bytes, { level: 1 }).length) / bytes.length).toFixed(0)} %`;
    const off = await measure('off', data, totalBytes);
    const on = await measure('all', data, totalBytes);
    if (off.extensions !== '' || !on.extensions.startsWith('permessage-deflate')) throw new Error('compression was not (or wrongly) agreed');
    const cell = (r: { mbps: number; msgps: number }) => `${r.mbps.toFixed(1)} (${Math.round(r.msgps)})`;
    console.log(`| ${payload.name} | ${deflated} | ${cell(off)} | ${cell(on)} | ${(on.mbps / off.mbps).toFixed(2)} |`);
  }
}

await main();
