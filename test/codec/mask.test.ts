import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { maskInto, unmaskInPlace, xorMaskInPlace } from '../../src/protocol/mask.ts';

const KEY = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

function byteLoop(data: Uint8Array, key: Uint8Array, start: number, end: number): Uint8Array {
  const out = Uint8Array.from(data);
  for (let i = start; i < end; i++) out[i] ^= key[(i - start) & 3]!;
  return out;
}

test('masks "Hello" as in RFC 6455 section 5.7', () => {
  const target = Buffer.alloc(5);
  maskInto(Buffer.from('Hello'), KEY, target, 0);
  assert.equal([...target], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  unmaskInPlace(target, KEY);
  assert.is(target.toString(), 'Hello');
});

test('word loop agrees with a byte loop for every length, alignment and start offset', () => {
  const backing = new Uint8Array(300);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 0xff;
  for (let alignment = 0; alignment < 4; alignment++) {
    for (let length = 0; length <= 200; length += length < 40 ? 1 : 17) {
      for (let start = 0; start < 4; start++) {
        const view = new Uint8Array(backing.buffer, alignment, length + start);
        const expected = byteLoop(view, KEY, start, start + length);
        const actual = Uint8Array.from(view);
        const misaligned = new Uint8Array(new ArrayBuffer(actual.length + alignment), alignment, actual.length);
        misaligned.set(actual);
        xorMaskInPlace(misaligned, KEY, start, start + length);
        assert.equal([...misaligned], [...expected], `alignment ${alignment} length ${length} start ${start}`);
      }
    }
  }
});

test('maskInto leaves its source untouched and writes at the offset', () => {
  const source = Buffer.alloc(100, 0xaa);
  const target = Buffer.alloc(107, 0);
  maskInto(source, KEY, target, 7);
  assert.ok(source.every((b) => b === 0xaa));
  assert.equal([...target.subarray(0, 7)], [0, 0, 0, 0, 0, 0, 0]);
  assert.equal([...target.subarray(7)], [...byteLoop(source, KEY, 0, 100)]);
});

test.run();
