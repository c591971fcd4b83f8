import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/**
 * What one idle connection keeps on a server's heap, by constructor: a heap snapshot before and one after N
 * idle WebSocket connections (opened over TCP by a child process, so the clients are not in the snapshot),
 * the self sizes summed per constructor name and divided by N:
 *   node --expose-gc --import tsx bench/tools/idle-heap.ts ours|ws|net [--connections 3000]
 * `net` is a bare node:net server that answers the handshake with a fixed 101 and keeps the socket: the floor
 * every Node server pays (`net.Socket`, its stream states, the `TCP` handle). Compiled code and the snapshot's
 * own synthetic nodes are left out of the total. Uses the TypeScript sources (through tsx).
 */

const CHILD_FLAG = '--open-idle-child';
const REQUEST = (port: number) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const ACCEPT = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';

/** Child: opens `count` connections, 50 at a time, reports, then holds them until killed. */
async function openIdle(port: number, count: number): Promise<void> {
  const held: net.Socket[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(REQUEST(port)));
      socket.once('data', () => resolve());
      socket.on('error', reject);
      held.push(socket);
    });
  for (let opened = 0; opened < count; opened += 50) await Promise.all(Array.from({ length: Math.min(50, count - opened) }, one));
  process.send!('open');
  setInterval(() => held.length, 60_000);
}

async function startServer(kind: string): Promise<{ port: number; open: () => number }> {
  if (kind === 'ours') {
    const { WebSocketServer } = await import('../../src/transport/server.ts');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, textAsBuffer: true });
    server.on('connection', (ws) => ws.on('error', () => {}));
    return { port: (await server.listen()).port, open: () => server.clients.size };
  }
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (ws) => ws.on('error', () => {}));
    await new Promise((resolve) => server.once('listening', resolve));
    return { port: (server.address() as net.AddressInfo).port, open: () => server.clients.size };
  }
  if (kind === 'net') {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write(ACCEPT);
        sockets.add(socket);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, open: () => sockets.size };
  }
  throw new Error(`unknown server "${kind}" (ours, ws or net)`);
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size per "type:constructor" of a heap snapshot written now. */
function heapByConstructor(): Map<string, { count: number; bytes: number }> {
  const file = path.join(os.tmpdir(), `idle-heap-${process.pid}.heapsnapshot`);
  writeHeapSnapshot(file);
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file);
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeIndex, nameIndex, sizeIndex] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [number, number, number];
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeIndex]!]!;
    const key = type === 'object' || type === 'closure' ? `${type}:${snapshot.strings[snapshot.nodes[i + nameIndex]!]}` : type;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeIndex]!;
    totals.set(key, entry);
  }
  return totals;
}

if (process.argv.includes(CHILD_FLAG)) {
  const [port, count] = process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1).map(Number);
  await openIdle(port!, count!);
} else {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const kind = process.argv[2] ?? 'ours';
  const countIndex = process.argv.indexOf('--connections');
  const count = countIndex === -1 ? 3000 : Number(process.argv[countIndex + 1]);
  const server = await startServer(kind);
  gc();
  const before = heapByConstructor();
  const child = fork(process.argv[1]!, [CHILD_FLAG, String(server.port), String(count)], { execArgv: ['--import', 'tsx'] });
  await new Promise((resolve) => child.once('message', resolve));
  while (server.open() < count) await new Promise((resolve) => setTimeout(resolve, 20));
  gc();
  const after = heapByConstructor();
  child.kill();
  const rows = [...after]
    .filter(([key]) => key !== 'synthetic' && key !== 'code')
    .map(([key, { count: n, bytes }]) => ({ key, objects: (n - (before.get(key)?.count ?? 0)) / count, bytes: (bytes - (before.get(key)?.bytes ?? 0)) / count }))
    .filter((row) => Math.abs(row.bytes) >= 4)
    .sort((a, b) => b.bytes - a.bytes);
  console.log(`${kind}: ${rows.reduce((sum, row) => sum + row.bytes, 0).toFixed(0)} heap bytes per idle connection (${count} connections)\n`);
  console.log('| bytes | objects | type:constructor |\n| --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.bytes.toFixed(0)} | ${row.objects.toFixed(2)} | ${row.key} |`);
  process.exit(0);
}
