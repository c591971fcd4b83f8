// Masking (RFC 6455 section 5.3) against a byte-by-byte reference: every length 0-300, every alignment of
// the buffer, ranges that start inside a buffer at odd offsets. Each case runs against the JS loop, the
// WebAssembly SIMD kernel, and the dispatching public functions (which pick one by length).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { maskImplementations, maskInto, unmaskInPlace, wasmMaskAvailable, xorMaskInPlace } from '../../src/protocol/mask.ts';
import { xorWithKey } from '../conformance/support/wire.ts';

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

function data(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
}

const LENGTHS = [...Array.from({ length: 301 }, (_, i) => i), 511, 512, 513, 1000, 4099, 16383, 16384, 16385, 65536, 65539];

interface Implementation {
  xorMaskInPlace(data: Uint8Array, key: Uint8Array, start?: number, end?: number): void;
  maskInto(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void;
}

const implementations: Array<[string, Implementation]> = [
  ['dispatch', { xorMaskInPlace, maskInto }],
  ['JS loop', maskImplementations.js],
];
if (maskImplementations.wasm) implementations.push(['wasm', maskImplementations.wasm]);

test('the WebAssembly kernel loads on this Node', () => {
  assert.ok(wasmMaskAvailable, 'WebAssembly SIMD masking is unavailable');
});

for (const [name, impl] of implementations) {
  test(`${name}: RFC example: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58`, () => {
    const hello = Buffer.from('Hello');
    impl.xorMaskInPlace(hello, KEY);
    assert.equal(hello, Buffer.from('7f9f4d5158', 'hex'));
  });

  test(`${name}: xorMaskInPlace equals the reference for every length and alignment`, () => {
    for (const length of LENGTHS) {
      for (let alignment = 0; alignment < 4; alignment++) {
        const backing = new Uint8Array(length + 8);
        const view = backing.subarray(alignment, alignment + length);
        view.set(data(length));
        impl.xorMaskInPlace(view, KEY);
        assert.equal(Buffer.from(view), xorWithKey(data(length), KEY), `length ${length}, alignment ${alignment}`);
        assert.ok(backing.subarray(0, alignment).every((byte) => byte === 0), 'bytes before the view untouched');
        assert.ok(backing.subarray(alignment + length).every((byte) => byte === 0), 'bytes after the view untouched');
      }
    }
  });

  test(`${name}: xorMaskInPlace on a range at odd offsets: key byte 0 applies to the range start, outside untouched`, () => {
    for (const length of [0, 1, 3, 31, 32, 33, 100, 127, 255, 300, 511, 512, 1001, 16385, 40000]) {
      for (const start of [0, 1, 2, 3, 5, 7, 13]) {
        const buffer = data(start + length + 5);
        const expected = Buffer.from(buffer);
        expected.set(xorWithKey(buffer.subarray(start, start + length), KEY), start);
        impl.xorMaskInPlace(buffer, KEY, start, start + length);
        assert.equal(Buffer.from(buffer), expected, `start ${start}, length ${length}`);
      }
    }
  });

  test(`${name}: maskInto copies masked at odd offsets and leaves the source alone; unmasking undoes it`, () => {
    for (const length of LENGTHS) {
      for (const offset of [0, 3, 7]) {
        const source = data(length);
        const target = new Uint8Array(length + offset + 2);
        impl.maskInto(source, KEY, target, offset);
        assert.equal(source, data(length), 'source unchanged');
        assert.ok(target.subarray(0, offset).every((byte) => byte === 0) && target.subarray(offset + length).every((byte) => byte === 0), 'outside untouched');
        assert.equal(Buffer.from(target.subarray(offset, offset + length)), xorWithKey(data(length), KEY), `length ${length}, offset ${offset}`);
        const roundTrip = target.subarray(offset, offset + length);
        impl.xorMaskInPlace(roundTrip, KEY);
        assert.equal(Buffer.from(roundTrip), Buffer.from(data(length)));
      }
    }
  });
}

test('unmaskInPlace undoes maskInto', () => {
  const source = data(70000);
  const target = new Uint8Array(70000);
  maskInto(source, KEY, target, 0);
  unmaskInPlace(target, KEY);
  assert.equal(target, source);
});

test.run();
