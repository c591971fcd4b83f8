// Attacks on demo/echo.ts (and on the README's echo server) as a process, over real sockets: a peer must not
// be able to kill it.
//  - slow reader: the client never reads and keeps sending 1 MiB messages; the server's echoes pile up until
//    maxBufferedAmount fails the connection (1008). Messages parsed after that must not reach the handler,
//    and a send() on the closing connection must not throw (it used to, through the parser: the process died).
//  - fragment flood: one text message in 1,000,000 one-byte fragments ends with 1009 (fragment budget).
import { connect as netConnect, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../src/transport/connect.ts';
import { killAllChildren, spawnManaged, type ManagedProcess } from '../helpers/processes.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { peerFrame } from '../conformance/support/wire.ts';
import { asciiBytes, closeCodeOf, serverFrames, smallFragments } from './attacks.ts';
import { upgradeRequest } from '../transport/raw-client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

test.after.each(killAllChildren);

const DEMO = ['demo/echo.ts', '--listen', '0'];
/** The README's echo server shape: no 'error' listener at all. */
const README_ECHO = ['test/hostile/fixtures/readme-echo.ts'];

async function startDemo(command = DEMO): Promise<{ demo: ManagedProcess; port: number }> {
  const demo = spawnManaged(process.execPath, ['--import', 'tsx', ...command], { cwd: ROOT });
  const [, port] = await demo.waitForLine(/^listening on ws:\/\/127\.0\.0\.1:(\d+)$/, 30_000);
  return { demo, port: Number(port) };
}

/** A raw client after a checked 101; `read: false` pauses it right after the handshake (it never reads again). */
async function rawClient(port: number, read: boolean): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(upgradeRequest('/')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      if (!text.startsWith('HTTP/1.1 101 ')) reject(new Error(`expected 101, got ${text.split('\r\n')[0]}`));
      if (!read) {
        socket.pause();
        socket.removeAllListeners('data');
      }
      resolve();
    });
  });
  if (read) socket.removeAllListeners('data').on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/** Writes `data` unless the socket is gone; waits for 'drain' when the kernel buffer is full. */
async function write(socket: Socket, data: Buffer): Promise<boolean> {
  if (socket.destroyed || !socket.writable) return false;
  if (!socket.write(data)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      socket.on('drain', done).on('close', done);
    });
  }
  return !socket.destroyed;
}

/** The demo still echoes: a new client gets its message back. */
async function assertStillEchoes(port: number): Promise<void> {
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send('still alive?');
  assert.is(await withTimeout(echoed, 10_000, 'the echo of a new client'), 'still alive?');
  ws.close(1000);
}

for (const [name, command] of [['demo/echo.ts', DEMO], ["the README's echo server", README_ECHO]] as const) {
  test(`slow reader sending 1 MiB messages: connection failed with 1008, ${name} keeps running`, async () => {
    const { demo, port } = await startDemo(command);
    const attacker = await rawClient(port, false);
    const frame = peerFrame({ opcode: 0x2, payload: Buffer.alloc(MiB, 0x61) }, 'server');
    // The default maxBufferedAmount is 64 MiB; the kernel buffers a few MiB more. 160 MiB is well past both.
    for (let i = 0; i < 160; i++) {
      if (!(await write(attacker.socket, frame))) break;
    }
    attacker.socket.destroy();
    const [line] = await demo.waitForLine(/^.* closed: .*$/, 30_000);
    assert.match(line, /closed: 1008 "\d+ bytes wait to be sent, over maxBufferedAmount of 67108864: the peer is not reading" \(not clean\)$/);
    await assertStillEchoes(port);
    assert.not.match(demo.stderr(), /WsStateError|at /, 'no stack trace on stderr');
  });
}

test('fragment flood: a text message of 1,000,000 one-byte fragments ends with 1009, demo/echo.ts keeps running', async () => {
  const { demo, port } = await startDemo();
  const attacker = await rawClient(port, true);
  attacker.socket.write(smallFragments(asciiBytes(1_000_000), 1, 0x1));
  await withTimeout(attacker.closed, 30_000, 'the server closing the connection');
  assert.is(closeCodeOf(serverFrames(attacker.received())), 1009);
  const [line] = await demo.waitForLine(/^.* closed: .*$/, 30_000);
  assert.match(line, /closed: 1009 "message of 262145 bytes in fragments counted as 16777280 bytes \(each fragment counts at least 64\) exceeds maxPayload of 16777216 bytes" \(not clean\)$/);
  await assertStillEchoes(port);
});

test.run();
