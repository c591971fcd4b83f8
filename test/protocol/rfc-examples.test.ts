// The examples of RFC 6455 section 5.7, byte for byte: encoded by us in each role, and parsed by us
// in each role at every split point and one byte at a time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Protocol } from '../../src/protocol/protocol.ts';
import { Recorder } from '../conformance/support/harness.ts';
import { ev } from '../conformance/support/cases.ts';
import { hex, peerFrame } from '../conformance/support/wire.ts';
import type { Role } from '../conformance/support/wire.ts';
import { feed, feedEverySplit } from './support/feed.ts';

const RFC_MASK = hex('37 fa 21 3d');
const HELLO_UNMASKED = hex('81 05 48 65 6c 6c 6f');
const HELLO_MASKED = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
const HELLO_FRAGMENTED = hex('01 03 48 65 6c 80 02 6c 6f');
const PING_UNMASKED = hex('89 05 48 65 6c 6c 6f');
const PONG_MASKED = hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58');
const HEADER_256 = hex('82 7e 01 00');
const HEADER_64K = hex('82 7f 00 00 00 00 00 01 00 00');

function bytes(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff));
}

/** A protocol whose client masks are all the RFC's example key 37 fa 21 3d. */
function endpoint(role: Role, fragmentSize = 0) {
  const recorder = new Recorder(role);
  const protocol = new Protocol({ role, fragmentSize, generateMask: () => Uint8Array.from(RFC_MASK) }, recorder);
  return { protocol, recorder };
}

function maskedWithRfcKey(header: Buffer, payload: Buffer): Buffer {
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= RFC_MASK[i & 3];
  const maskedHeader = Buffer.from(header);
  maskedHeader[1] |= 0x80;
  return Buffer.concat([maskedHeader, RFC_MASK, masked]);
}

test('encode: unmasked text "Hello" from a server', () => {
  const { protocol, recorder } = endpoint('server');
  protocol.sendText('Hello');
  assert.equal(recorder.bytes, HELLO_UNMASKED);
});

test('encode: masked text "Hello" from a client', () => {
  const { protocol, recorder } = endpoint('client');
  protocol.sendText('Hello');
  assert.equal(recorder.bytes, HELLO_MASKED);
});

test('encode: fragmented unmasked text "Hel" + "lo" from a server (fragmentSize 3)', () => {
  const { protocol, recorder } = endpoint('server', 3);
  protocol.sendText('Hello');
  assert.equal(recorder.bytes, HELLO_FRAGMENTED);
});

test('encode: fragmented masked text from a client (fragmentSize 3), each frame masked', () => {
  const { protocol, recorder } = endpoint('client', 3);
  protocol.sendText('Hello');
  const expected = Buffer.concat([maskedWithRfcKey(hex('01 03'), Buffer.from('Hel')), maskedWithRfcKey(hex('80 02'), Buffer.from('lo'))]);
  assert.equal(recorder.bytes, expected);
});

test('encode: unmasked ping "Hello" from a server', () => {
  const { protocol, recorder } = endpoint('server');
  protocol.sendPing('Hello');
  assert.equal(recorder.bytes, PING_UNMASKED);
});

test('encode: masked pong "Hello" from a client', () => {
  const { protocol, recorder } = endpoint('client');
  protocol.sendPong('Hello');
  assert.equal(recorder.bytes, PONG_MASKED);
});

test('encode: the client answers the unmasked ping with the masked pong', () => {
  const { protocol, recorder } = endpoint('client');
  protocol.receive(Buffer.from(PING_UNMASKED));
  assert.equal(recorder.events, ['ping 48 65 6c 6c 6f']);
  assert.equal(recorder.bytes, PONG_MASKED);
});

test('encode: 256 bytes binary from a server: header 82 7E 01 00', () => {
  const { protocol, recorder } = endpoint('server');
  protocol.sendBinary(bytes(256));
  assert.equal(recorder.bytes, Buffer.concat([HEADER_256, bytes(256)]));
});

test('encode: 256 bytes binary from a client: header 82 FE 01 00 + key', () => {
  const { protocol, recorder } = endpoint('client');
  protocol.sendBinary(bytes(256));
  assert.equal(recorder.bytes, maskedWithRfcKey(HEADER_256, bytes(256)));
});

test('encode: 64 KiB binary from a server: header 82 7F 00 00 00 00 00 01 00 00', () => {
  const { protocol, recorder } = endpoint('server');
  protocol.sendBinary(bytes(65536));
  assert.equal(recorder.bytes, Buffer.concat([HEADER_64K, bytes(65536)]));
});

test('encode: 64 KiB binary from a client: header 82 FF 00 00 00 00 00 01 00 00 + key', () => {
  const { protocol, recorder } = endpoint('client');
  protocol.sendBinary(bytes(65536));
  assert.equal(recorder.bytes, maskedWithRfcKey(HEADER_64K, bytes(65536)));
});

test('the test-only frame builder reproduces the RFC examples (peer masks with 37 fa 21 3d)', () => {
  assert.equal(peerFrame({ opcode: 0x1, payload: 'Hello' }, 'client'), HELLO_UNMASKED);
  assert.equal(peerFrame({ opcode: 0x1, payload: 'Hello' }, 'server'), HELLO_MASKED);
  assert.equal(peerFrame({ opcode: 0xa, payload: 'Hello' }, 'server'), PONG_MASKED);
  assert.equal(peerFrame({ opcode: 0x2, payload: bytes(65536) }, 'client').subarray(0, 10), HEADER_64K);
});

// Parsing. The client role receives the unmasked forms, the server role the masked ones.
test('parse: unmasked "Hello" as client, every split', () => {
  feedEverySplit('client', HELLO_UNMASKED, ['text "Hello"'], []);
});

test('parse: masked "Hello" as server, every split', () => {
  feedEverySplit('server', HELLO_MASKED, ['text "Hello"'], []);
});

test('parse: fragmented unmasked "Hel" + "lo" as client, every split', () => {
  feedEverySplit('client', HELLO_FRAGMENTED, ['text "Hello"'], []);
});

test('parse: fragmented masked text as server, every split', () => {
  const stream = Buffer.concat([maskedWithRfcKey(hex('01 03'), Buffer.from('Hel')), maskedWithRfcKey(hex('80 02'), Buffer.from('lo'))]);
  feedEverySplit('server', stream, ['text "Hello"'], []);
});

test('parse: unmasked ping as client, every split: ping event and pong', () => {
  feedEverySplit('client', PING_UNMASKED, ['ping 48 65 6c 6c 6f'], ['8a 05 48 65 6c 6c 6f']);
});

test('parse: masked pong as server, every split', () => {
  feedEverySplit('server', PONG_MASKED, ['pong 48 65 6c 6c 6f'], []);
});

test('parse: 256 bytes binary as client and as server, every split', () => {
  const expected = [ev.binary(bytes(256))];
  feedEverySplit('client', Buffer.concat([HEADER_256, bytes(256)]), expected, []);
  feedEverySplit('server', maskedWithRfcKey(HEADER_256, bytes(256)), expected, []);
});

test('parse: 64 KiB binary as client and as server, every split', () => {
  const expected = [ev.binary(bytes(65536))];
  feedEverySplit('client', Buffer.concat([HEADER_64K, bytes(65536)]), expected, []);
  feedEverySplit('server', maskedWithRfcKey(HEADER_64K, bytes(65536)), expected, []);
});

test('parse: the server role refuses the unmasked "Hello"; the client role refuses the masked one', () => {
  for (const [role, stream] of [['server', HELLO_UNMASKED], ['client', HELLO_MASKED]] as const) {
    const { events, written } = feed(role, [stream]);
    assert.equal(events, ['error 1002'], role);
    assert.is(written.length, 1, role);
    assert.ok(written[0].startsWith('88 '), `${role}: a close frame`);
    assert.is(written[0].split(' ').slice(2, 4).join(' '), '03 ea', `${role}: close code 1002`);
  }
});

test.run();
