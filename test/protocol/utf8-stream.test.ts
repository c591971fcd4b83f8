// Streaming UTF-8 validation against an independent reference written from the table of RFC 3629
// section 4: every byte sequence of up to 4 bytes drawn from the interesting byte values, fed whole,
// byte by byte and cut in two, must fail exactly on the piece where it stops being a valid prefix.
import { isUtf8 } from 'node:buffer';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Utf8StreamValidator } from '../../src/protocol/utf8.ts';

type Range = [number, number];
const TAIL: Range = [0x80, 0xbf];

/** RFC 3629 section 4: the ranges allowed for the bytes after a lead byte; null if it cannot lead. */
function followingRanges(lead: number): Range[] | null {
  if (lead <= 0x7f) return [];
  if (lead >= 0xc2 && lead <= 0xdf) return [TAIL];
  if (lead === 0xe0) return [[0xa0, 0xbf], TAIL];
  if ((lead >= 0xe1 && lead <= 0xec) || lead === 0xee || lead === 0xef) return [TAIL, TAIL];
  if (lead === 0xed) return [[0x80, 0x9f], TAIL];
  if (lead === 0xf0) return [[0x90, 0xbf], TAIL, TAIL];
  if (lead >= 0xf1 && lead <= 0xf3) return [TAIL, TAIL, TAIL];
  if (lead === 0xf4) return [[0x80, 0x8f], TAIL, TAIL];
  return null;
}

/** Index of the first byte after which the bytes can no longer become valid UTF-8; -1 if none. Also: ends on a boundary? */
function reference(bytes: Uint8Array): { firstBad: number; complete: boolean } {
  let expected: Range[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (expected.length > 0) {
      const [low, high] = expected.shift()!;
      if (byte < low || byte > high) return { firstBad: i, complete: false };
      continue;
    }
    const ranges = followingRanges(byte);
    if (ranges === null) return { firstBad: i, complete: false };
    expected = [...ranges];
  }
  return { firstBad: -1, complete: expected.length === 0 };
}

/** Feeds pieces; returns the index of the piece on which push() first returned false (-1 if none) and end(). */
function streamed(pieces: Uint8Array[]): { failedPiece: number; complete: boolean } {
  const validator = new Utf8StreamValidator();
  for (let i = 0; i < pieces.length; i++) {
    if (!validator.push(pieces[i])) return { failedPiece: i, complete: false };
  }
  return { failedPiece: -1, complete: validator.end() };
}

/** The piece that holds byte `index` when `lengths` are the piece lengths. */
function pieceOf(index: number, lengths: number[]): number {
  let end = 0;
  for (let piece = 0; piece < lengths.length; piece++) {
    end += lengths[piece];
    if (index < end) return piece;
  }
  return -1;
}

function check(bytes: Uint8Array, lengths: number[]): void {
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (const length of lengths) {
    pieces.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  const { firstBad, complete } = reference(bytes);
  const expected = firstBad >= 0 ? { failedPiece: pieceOf(firstBad, lengths), complete: false } : { failedPiece: -1, complete };
  const actual = streamed(pieces);
  if (actual.failedPiece !== expected.failedPiece || actual.complete !== expected.complete) {
    assert.equal(actual, expected, `bytes ${Buffer.from(bytes).toString('hex')} in pieces of ${lengths.join('+')}`);
  }
}

const INTERESTING = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];

function* sequences(length: number): Generator<Uint8Array> {
  const indexes = new Array(length).fill(0);
  while (true) {
    yield Uint8Array.from(indexes, (i) => INTERESTING[i]);
    let position = length - 1;
    while (position >= 0 && ++indexes[position] === INTERESTING.length) indexes[position--] = 0;
    if (position < 0) return;
  }
}

test('the reference agrees with buffer.isUtf8 on complete sequences', () => {
  for (let length = 1; length <= 4; length++) {
    for (const bytes of sequences(length)) {
      const { firstBad, complete } = reference(bytes);
      assert.is(firstBad < 0 && complete, isUtf8(bytes), Buffer.from(bytes).toString('hex'));
    }
  }
});

test('every sequence of 1 to 4 interesting bytes: whole, byte by byte, and cut in two', () => {
  for (let length = 1; length <= 4; length++) {
    for (const bytes of sequences(length)) {
      check(bytes, [length]);
      check(bytes, new Array(length).fill(1));
      for (let cut = 1; cut < length; cut++) check(bytes, [cut, length - cut]);
    }
  }
});

test('random longer streams in random pieces (deterministic seed)', () => {
  let seed = 0x2545f491;
  const random = (limit: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % limit;
  };
  const valid = Buffer.from('aé€😀');
  for (let round = 0; round < 20_000; round++) {
    const parts: number[] = [];
    const length = 1 + random(16);
    while (parts.length < length) {
      if (random(4) === 0) parts.push(INTERESTING[random(INTERESTING.length)]);
      else parts.push(...valid.subarray(...[[0, 1], [1, 3], [3, 6], [6, 10]][random(4)] as [number, number]));
    }
    const bytes = Uint8Array.from(parts);
    const lengths: number[] = [];
    for (let left = bytes.length; left > 0; ) {
      const piece = Math.min(left, random(5));
      lengths.push(piece);
      left -= piece;
    }
    check(bytes, lengths);
  }
});

test('a validator is reusable after end()', () => {
  const validator = new Utf8StreamValidator();
  assert.ok(validator.push(Buffer.from('ab\xce', 'latin1')));
  assert.is(validator.end(), false);
  assert.ok(validator.push(Buffer.from('κ')));
  assert.is(validator.end(), true);
});

test.run();
