import { deflateRawSync, constants } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Protocol, type Role } from '../../src/protocol/protocol.ts';
import type { WsProtocolError } from '../../src/protocol/errors.ts';
import type { DeflateOptions } from '../../src/protocol/permessage-deflate.ts';

const AGREEMENT = { header: 'permessage-deflate', serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

function endpoint(role: Role, options: { deflate?: DeflateOptions | false; maxPayload?: number } = {}) {
  const written: Buffer[] = [];
  const events: unknown[] = [];
  let resumed = () => {};
  const protocol = new Protocol(
    {
      role,
      maxPayload: options.maxPayload,
      deflate: options.deflate === false ? undefined : { agreement: AGREEMENT, options: options.deflate ?? { threshold: 0 } },
      generateMask: () => Uint8Array.from([0, 0, 0, 0]),
    },
    {
      write: (chunk) => written.push(Buffer.from(chunk)),
      message: (data, isBinary) => events.push(['message', data, isBinary]),
      ping: () => {},
      pong: () => {},
      closeFrame: (code, reason) => events.push(['close', code, reason]),
      protocolError: (error: WsProtocolError) => events.push(['error', error.code, error.message]),
      resume: () => resumed(),
    },
  );
  /** Resolves at the handler's next resume() call (a message inflated in the thread pool was delivered). */
  const resume = () => new Promise<void>((resolve) => (resumed = resolve));
  return { protocol, written: () => Buffer.concat(written), events, resume };
}

/** An unmasked frame (as a server sends it) with RSV1 set when `compressed`. */
function serverFrame(opcode: number, payload: Buffer, compressed = false): Buffer {
  const first = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (payload.length < 126) return Buffer.concat([Buffer.from([first, payload.length]), payload]);
  const header = payload.length < 65536 ? Buffer.from([first, 126, 0, 0]) : Buffer.from([first, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
  if (header.length === 4) header.writeUInt16BE(payload.length, 2);
  else header.writeUInt32BE(payload.length, 6);
  return Buffer.concat([header, payload]);
}

function compressed(data: Buffer): Buffer {
  return deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
}

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('RFC 7692 section 7.2.3.1: "Hello" is sent as c1 07 f2 48 cd c9 c9 07 00', () => {
  const server = endpoint('server');
  server.protocol.sendText('Hello');
  assert.is(server.written().toString('hex'), 'c107f248cdc9c90700');
});

test('RFC 7692 examples are received: one frame, fragmented compressed data, and an empty message', () => {
  const client = endpoint('client');
  client.protocol.receive(hex('c1 07 f2 48 cd c9 c9 07 00'));
  client.protocol.receive(hex('41 03 f2 48 cd'));
  client.protocol.receive(hex('80 04 c9 c9 07 00'));
  client.protocol.receive(hex('c1 01 00'));
  assert.equal(client.events, [['message', 'Hello', false], ['message', 'Hello', false], ['message', '', false]]);
});

test('messages under the threshold go uncompressed (RSV1 clear); binary above it is compressed', () => {
  const client = endpoint('client', { deflate: { threshold: 100 } });
  client.protocol.sendText('short');
  client.protocol.sendBinary(Buffer.alloc(1000));
  const bytes = client.written();
  assert.is(bytes[0], 0x81);
  const second = bytes.subarray(2 + 4 + 5);
  assert.is(second[0], 0xc2);
  assert.ok((second[1]! & 0x7f) < 100, `compressed to ${second[1]! & 0x7f} bytes`);
});

test('a compressed, fragmented message from our sender is read back by the other role', () => {
  const sender = endpoint('client', { deflate: { threshold: 0 } });
  const receiver = endpoint('server');
  const text = 'κόσμε '.repeat(5000);
  const fragmenting = new Protocol(
    { role: 'client', fragmentSize: 100, deflate: { agreement: AGREEMENT, options: { threshold: 0 } } },
    { write: (chunk) => receiver.protocol.receive(Buffer.from(chunk)), message() {}, ping() {}, pong() {}, closeFrame() {}, protocolError() {} },
  );
  fragmenting.sendText(text);
  sender.protocol.sendBinary(Buffer.from([1, 2, 3]));
  receiver.protocol.receive(sender.written());
  assert.equal(receiver.events, [['message', text, false], ['message', Buffer.from([1, 2, 3]), true]]);
});

test('RSV1 where it may not be: on a continuation frame, on a control frame, or without the extension -> 1002', () => {
  const continuation = endpoint('client');
  continuation.protocol.receive(hex('41 03 f2 48 cd'));
  continuation.protocol.receive(hex('c0 04 c9 c9 07 00'));
  assert.equal(continuation.events, [['error', 1002, 'RSV bits 0b100 set on a continuation frame']]);
  const control = endpoint('client');
  control.protocol.receive(hex('c9 00'));
  assert.equal(control.events, [['error', 1002, 'RSV bits 0b100 set on a control frame']]);
  const plain = endpoint('client', { deflate: false });
  plain.protocol.receive(hex('c1 07 f2 48 cd c9 c9 07 00'));
  assert.equal(plain.events, [['error', 1002, 'RSV bits 0b100 set without a negotiated extension']]);
  const rsv2 = endpoint('client');
  rsv2.protocol.receive(hex('a1 00'));
  assert.equal(rsv2.events, [['error', 1002, 'RSV bits 0b010 set without a negotiated extension']]);
});

test('a zip bomb is stopped while inflating: 1009, and the output never exceeds maxPayload', () => {
  const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  assert.ok(bomb.length < 128 * 1024, `bomb is ${bomb.length} bytes`);
  const client = endpoint('client', { maxPayload: 1024 * 1024 });
  client.protocol.receive(serverFrame(0x2, bomb, true));
  assert.equal(client.events, [['error', 1009, 'compressed message inflates beyond maxPayload of 1048576 bytes']]);
  assert.is(client.written().toString('hex'), '88820000000003f1', 'masked close 1009 (zero test key)');
});

test('a message inflating past 1 MiB goes to the thread pool: later frames wait and keep their order', async () => {
  const client = endpoint('client');
  const big = Buffer.from('{"sensor":"t-1","ok":true} '.repeat(100_000));
  client.protocol.receive(
    Buffer.concat([
      serverFrame(0x1, compressed(big), true),
      serverFrame(0x1, Buffer.from('after')),
      serverFrame(0x2, compressed(Buffer.from('small, inflated at once')), true),
      serverFrame(0x8, Buffer.from([0x03, 0xe8])),
    ]),
  );
  assert.equal(client.events, [], 'nothing is delivered before the big message');
  assert.is(client.protocol.receivePaused, true);
  await client.resume();
  assert.is(client.protocol.receivePaused, false);
  assert.equal(client.events, [
    ['message', big.toString(), false],
    ['message', 'after', false],
    ['message', Buffer.from('small, inflated at once'), true],
    ['close', 1000, ''],
  ]);
});

test('maxPayload holds while inflating in the thread pool: 16 MiB of zeros against maxPayload 4 MiB -> 1009', async () => {
  const client = endpoint('client', { maxPayload: 4 * 1024 * 1024 });
  client.protocol.receive(Buffer.concat([serverFrame(0x2, compressed(Buffer.alloc(16 * 1024 * 1024)), true), serverFrame(0x1, Buffer.from('never'))]));
  assert.is(client.protocol.receivePaused, true, 'over 1 MiB: not inflated on the event loop');
  await client.resume();
  assert.equal(client.events, [['error', 1009, 'compressed message inflates beyond maxPayload of 4194304 bytes']]);
  assert.is(client.written().toString('hex'), '88820000000003f1', 'masked close 1009 (zero test key)');
});

test('corrupt compressed data -> 1007; compressed invalid UTF-8 text -> 1007', () => {
  const corrupt = endpoint('client');
  corrupt.protocol.receive(hex('c1 02 ff ff'));
  assert.is((corrupt.events[0] as unknown[])[1], 1007);
  const badText = deflateRawSync(Buffer.from([0x68, 0xc0, 0xaf]), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const invalid = endpoint('client');
  invalid.protocol.receive(Buffer.concat([Buffer.from([0xc1, badText.length]), badText]));
  assert.equal(invalid.events, [['error', 1007, 'text message is not valid UTF-8']]);
});

test.run();
