// Many frames in one chunk, and the same mixed stream cut anywhere: the parser's output must not
// depend on how the bytes arrive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ev, out } from '../conformance/support/cases.ts';
import { closePayload, peerFrame } from '../conformance/support/wire.ts';
import type { FrameSpec, Role } from '../conformance/support/wire.ts';
import { feed, feedEverySplit } from './support/feed.ts';

const ROLES: Role[] = ['server', 'client'];
const payload300 = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));

/** Text, a fragmented text with a ping in between, binary (16-bit length), a pong, then a close. */
const MIXED: FrameSpec[] = [
  { opcode: 0x1, payload: 'first' },
  { opcode: 0x1, payload: 'κό', fin: false },
  { opcode: 0x9, payload: 'between' },
  { opcode: 0x0, payload: 'σμε' },
  { opcode: 0x2, payload: payload300 },
  { opcode: 0xa, payload: 'pong' },
  { opcode: 0x2, payload: '' },
  { opcode: 0x8, payload: closePayload(1000, 'done') },
  { opcode: 0x1, payload: 'after close: ignored' },
];
const MIXED_EVENTS = [ev.text('first'), ev.ping('between'), ev.text('κόσμε'), ev.binary(payload300), ev.pong('pong'), ev.binary(''), ev.close(1000, 'done')];
const MIXED_WRITTEN = [out.pong('between'), out.close(1000, 'done')];

function stream(role: Role, frames: FrameSpec[]): Buffer {
  return Buffer.concat(frames.map((frame) => peerFrame(frame, role)));
}

for (const role of ROLES) {
  test(`[${role}] mixed stream: one chunk, byte by byte and every cut in two`, () => {
    feedEverySplit(role, stream(role, MIXED), MIXED_EVENTS, MIXED_WRITTEN);
  });

  test(`[${role}] mixed stream without the 300-byte frame: every cut in three`, () => {
    const frames = MIXED.filter((frame) => frame.opcode !== 0x2 || payloadLength(frame) === 0);
    const events = MIXED_EVENTS.filter((event) => !event.startsWith('binary (300'));
    const bytes = stream(role, frames);
    const expected = { events, written: MIXED_WRITTEN, problems: [] };
    for (let first = 1; first < bytes.length; first++) {
      for (let second = first + 1; second < bytes.length; second++) {
        const outcome = feed(role, [bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)]);
        if (JSON.stringify(outcome) !== JSON.stringify(expected)) assert.equal(outcome, expected, `cuts at ${first} and ${second}`);
      }
    }
  });

  test(`[${role}] 1000 frames in one chunk: 1000 messages in order`, () => {
    const frames: FrameSpec[] = Array.from({ length: 1000 }, (_, i) => ({ opcode: i % 2 ? 0x2 : 0x1, payload: `message ${i}` }));
    const events = frames.map((frame, i) => (frame.opcode === 0x1 ? ev.text(`message ${i}`) : ev.binary(`message ${i}`)));
    assert.equal(feed(role, [stream(role, frames)]), { events, written: [], problems: [] });
  });

  test(`[${role}] 200 pings in one chunk: 200 pongs in order, in one receive() call`, () => {
    const frames: FrameSpec[] = Array.from({ length: 200 }, (_, i) => ({ opcode: 0x9, payload: `${i}` }));
    const outcome = feed(role, [stream(role, frames)]);
    assert.equal(outcome.written, frames.map((_, i) => out.pong(`${i}`)));
    assert.equal(outcome.events, frames.map((_, i) => ev.ping(`${i}`)));
  });

  test(`[${role}] empty chunks change nothing`, () => {
    const bytes = stream(role, [{ opcode: 0x1, payload: 'Hello' }]);
    const chunks = [Buffer.alloc(0), bytes.subarray(0, 1), Buffer.alloc(0), bytes.subarray(1, 3), Buffer.alloc(0), bytes.subarray(3), Buffer.alloc(0)];
    assert.equal(feed(role, chunks), { events: [ev.text('Hello')], written: [], problems: [] });
  });

  test(`[${role}] a text frame in pieces fails with 1007 on the piece with invalid bytes, before the rest arrives`, () => {
    const frame = peerFrame({ opcode: 0x1, payload: Buffer.concat([Buffer.from('κόσμε'), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('edited')]) }, role);
    const header = frame.length - 21; // the payload is 11 + 4 + 6 bytes
    const cuts = [header + 5, header + 11, header + 13]; // inside "κόσμε", before F4 90, after it
    const pieces = [frame.subarray(0, cuts[0]), frame.subarray(cuts[0], cuts[1]), frame.subarray(cuts[1], cuts[2])];
    const before = feed(role, pieces.slice(0, 2));
    assert.equal(before.events, [], 'valid so far, cut inside a character');
    assert.equal(feed(role, pieces), { events: [ev.error(1007)], written: [out.close(1007)], problems: [] }, 'F4 90 is already impossible');
  });

  test(`[${role}] valid text in pieces cut inside characters is delivered whole`, () => {
    const text = 'κόσμε 🎉 '.repeat(40);
    const frame = peerFrame({ opcode: 0x1, payload: text }, role);
    const pieces = [];
    for (let at = 0; at < frame.length; at += 7) pieces.push(frame.subarray(at, at + 7));
    assert.equal(feed(role, pieces), { events: [ev.text(text)], written: [], problems: [] });
  });

  test(`[${role}] bytes after a protocol error in the same chunk are ignored`, () => {
    const bytes = stream(role, [{ opcode: 0x1, payload: 'ok' }, { opcode: 0x3 }, { opcode: 0x1, payload: 'ignored' }, { opcode: 0x9 }]);
    const outcome = feed(role, [bytes]);
    assert.equal(outcome.events, [ev.text('ok'), ev.error(1002)]);
    assert.is(outcome.written.length, 1, 'only the close frame');
  });
}

function payloadLength(frame: FrameSpec): number {
  return typeof frame.payload === 'string' ? Buffer.byteLength(frame.payload) : (frame.payload?.length ?? 0);
}

test.run();
