// Masking (RFC 6455 section 5.3) against a byte-by-byte reference: every length around the word loop,
// every alignment of the buffer, ranges that start inside a buffer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { maskInto, unmaskInPlace, xorMaskInPlace } from '../../src/protocol/mask.ts';
import { xorWithKey } from '../conformance/support/wire.ts';

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

function data(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
}

const LENGTHS = [...Array.from({ length: 80 }, (_, i) => i), 127, 128, 129, 1000, 4099, 65536];

test('RFC example: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58', () => {
  const hello = Buffer.from('Hello');
  xorMaskInPlace(hello, KEY);
  assert.equal(hello, Buffer.from('7f9f4d5158', 'hex'));
});

test('xorMaskInPlace equals the reference for every length and alignment', () => {
  for (const length of LENGTHS) {
    for (let alignment = 0; alignment < 4; alignment++) {
      const backing = new Uint8Array(length + 8);
      const view = backing.subarray(alignment, alignment + length);
      view.set(data(length));
      xorMaskInPlace(view, KEY);
      assert.equal(Buffer.from(view), xorWithKey(data(length), KEY), `length ${length}, alignment ${alignment}`);
      assert.ok(backing.subarray(0, alignment).every((byte) => byte === 0), 'bytes before the view untouched');
      assert.ok(backing.subarray(alignment + length).every((byte) => byte === 0), 'bytes after the view untouched');
    }
  }
});

test('xorMaskInPlace on a range: key byte 0 applies to the range start, outside untouched', () => {
  for (const length of [0, 3, 31, 32, 33, 100, 1001]) {
    for (let start = 0; start < 7; start++) {
      const buffer = data(start + length + 5);
      const expected = Buffer.from(buffer);
      expected.set(xorWithKey(buffer.subarray(start, start + length), KEY), start);
      xorMaskInPlace(buffer, KEY, start, start + length);
      assert.equal(Buffer.from(buffer), expected, `start ${start}, length ${length}`);
    }
  }
});

test('maskInto copies masked and leaves the source alone; unmaskInPlace undoes it', () => {
  for (const length of LENGTHS) {
    const source = data(length);
    const target = new Uint8Array(length + 3);
    maskInto(source, KEY, target, 3);
    assert.equal(source, data(length), 'source unchanged');
    assert.equal(Buffer.from(target.subarray(3)), xorWithKey(data(length), KEY), `length ${length}`);
    const roundTrip = target.subarray(3);
    unmaskInPlace(roundTrip, KEY);
    assert.equal(Buffer.from(roundTrip), Buffer.from(data(length)));
  }
});

test.run();
