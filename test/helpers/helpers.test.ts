import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { parseEchoCommand, closeCommand, pingCommand } from './echo-commands.ts';
import { INTEROP_SIZES, binaryPayload, describeMismatch, sizeLabel, textPayload } from './payloads.ts';
import { closeServer, listenOnFreePort } from './ports.ts';
import { isProcessAlive, killAllChildren, spawnManaged } from './processes.ts';
import { nextEvent, withTimeout } from './timeout.ts';

test.after(killAllChildren);

test('textPayload has exactly the requested UTF-8 length, with multi-byte characters', () => {
  for (const size of [...INTEROP_SIZES, 1, 9, 10, 11, 19]) assert.is(Buffer.byteLength(textPayload(size)), size);
  assert.is(textPayload(11), 'aé€😀x');
});

test('binaryPayload: byte i is (i * 31 + 7) mod 256', () => {
  const data = binaryPayload(70_000);
  assert.is(data.length, 70_000);
  for (const i of [0, 1, 255, 256, 257, 69_999]) assert.is(data[i], (i * 31 + 7) & 0xff);
});

test('describeMismatch names sizes and the first differing byte, never the content', () => {
  assert.is(describeMismatch('abc', 'abc'), null);
  assert.is(describeMismatch(Buffer.from([1, 2, 3]), Buffer.from([1, 9, 3, 4])), 'payload differs: got 3 bytes, expected 4; first difference at byte 1');
  assert.is(sizeLabel(16 * 1024 * 1024), '16 MiB');
  assert.is(sizeLabel(126), '126 B');
});

test('echo commands round-trip', () => {
  assert.equal(parseEchoCommand(closeCommand(4000, 'bye now')), { kind: 'close', code: 4000, reason: 'bye now' });
  assert.equal(parseEchoCommand(closeCommand(1000)), { kind: 'close', code: 1000, reason: '' });
  assert.equal(parseEchoCommand(closeCommand()), { kind: 'close', reason: '' });
  assert.equal(parseEchoCommand(pingCommand('x y')), { kind: 'ping', payload: 'x y' });
  assert.equal(parseEchoCommand('__fragmented__ binary'), { kind: 'fragmented', type: 'binary' });
  assert.is(parseEchoCommand(textPayload(100)), null);
});

test('withTimeout rejects naming what hung; passes values through', async () => {
  assert.is(await withTimeout(Promise.resolve(5), 1000, 'fast'), 5);
  try {
    await withTimeout(new Promise(() => {}), 10, 'the thing');
    assert.unreachable('should time out');
  } catch (error) {
    assert.is((error as Error).message, 'the thing: timed out after 10 ms');
  }
});

test('nextEvent resolves with the event arguments and rejects on error', async () => {
  const emitter = new EventEmitter();
  setImmediate(() => emitter.emit('data', 1, 2));
  assert.equal(await nextEvent(emitter, 'data'), [1, 2]);
  setImmediate(() => emitter.emit('error', new Error('boom')));
  try {
    await nextEvent(emitter, 'data');
    assert.unreachable('should reject');
  } catch (error) {
    assert.is((error as Error).message, 'boom');
  }
  assert.is(emitter.listenerCount('data') + emitter.listenerCount('error'), 0);
});

test('listenOnFreePort picks a free loopback port', async () => {
  const server = createServer();
  const port = await listenOnFreePort(server);
  assert.ok(port > 0);
  await closeServer(server);
  await closeServer(server); // idempotent
});

test('spawnManaged: waits for lines, kills, reports exit', async () => {
  const child = spawnManaged(process.execPath, ['-e', 'console.log("ready 42"); setInterval(() => {}, 1000)']);
  const [, value] = await child.waitForLine(/^ready (\d+)$/);
  assert.is(value, '42');
  assert.ok(isProcessAlive(child.pid));
  assert.equal(await child.kill(), { code: null, signal: 'SIGTERM' });
  assert.not.ok(isProcessAlive(child.pid));
});

test('spawnManaged: waitForLine rejects when the process exits first, with its stderr', async () => {
  const child = spawnManaged(process.execPath, ['-e', 'console.error("no luck"); process.exit(3)']);
  try {
    await child.waitForLine(/never/);
    assert.unreachable('should reject');
  } catch (error) {
    assert.match((error as Error).message, /exited \(code 3, signal null\) before printing a line matching \/never\/; stderr:\nno luck/);
  }
});

test.run();
