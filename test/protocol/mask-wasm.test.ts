// The WebAssembly masking kernel: the bytes embedded in src/protocol/mask-wasm.ts are src/protocol/mask.wat
// assembled now (so the two cannot drift), and the kernel agrees with the JS loop on random inputs.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MASK_WASM_BASE64 } from '../../src/protocol/mask-wasm.ts';
import { maskImplementations, xorMaskInPlace } from '../../src/protocol/mask.ts';
import { assembleMaskWat, MODULE_PATH, renderMaskModule } from '../../scripts/wasm-build.ts';
import { readFileSync } from 'node:fs';

test('the embedded kernel is mask.wat assembled now by wabt (run `npm run build:wasm` after editing the WAT)', async () => {
  const bytes = await assembleMaskWat();
  assert.equal(Buffer.from(MASK_WASM_BASE64, 'base64'), Buffer.from(bytes));
  assert.is(readFileSync(MODULE_PATH, 'utf8'), renderMaskModule(bytes));
});

test('the kernel uses 128-bit SIMD (v128.xor, i32x4.splat)', () => {
  const bytes = Buffer.from(MASK_WASM_BASE64, 'base64');
  assert.ok(bytes.includes(Buffer.from([0xfd, 0x51])), 'v128.xor (0xfd 0x51)');
  assert.ok(bytes.includes(Buffer.from([0xfd, 0x11])), 'i32x4.splat (0xfd 0x11)');
});

test('differential: wasm kernel and dispatch equal the JS loop on random lengths, offsets and keys', () => {
  const wasm = maskImplementations.wasm;
  assert.ok(wasm, 'WebAssembly SIMD masking is unavailable');
  for (let round = 0; round < 400; round++) {
    const length = round % 4 === 0 ? randomInt(0, 200_000) : randomInt(0, 5000);
    const start = randomInt(0, 40);
    const tail = randomInt(0, 20);
    const key = randomBytes(4);
    const input = randomBytes(start + length + tail);
    const expected = Buffer.from(input);
    maskImplementations.js.xorMaskInPlace(expected, key, start, start + length);
    for (const [name, xor] of [['wasm', wasm.xorMaskInPlace], ['dispatch', xorMaskInPlace]] as const) {
      const actual = Buffer.from(input);
      xor(actual, key, start, start + length);
      assert.ok(actual.equals(expected), `${name} in place: length ${length}, start ${start}, key ${key.toString('hex')}`);
    }
    const expectedTarget = Buffer.alloc(start + length + tail);
    maskImplementations.js.maskInto(input.subarray(0, length), key, expectedTarget, start);
    const actualTarget = Buffer.alloc(start + length + tail);
    wasm.maskInto(input.subarray(0, length), key, actualTarget, start);
    assert.ok(actualTarget.equals(expectedTarget), `wasm maskInto: length ${length}, offset ${start}`);
  }
});

test('chunk by chunk with key offset continuity equals one pass (unmask while collecting)', () => {
  for (let round = 0; round < 100; round++) {
    const key = randomBytes(4);
    const input = randomBytes(randomInt(1, 100_000));
    const expected = Buffer.from(input);
    maskImplementations.js.xorMaskInPlace(expected, key);
    const actual = Buffer.from(input);
    for (let from = 0; from < actual.length; ) {
      const to = Math.min(actual.length, from + randomInt(1, 30_000));
      const phased = Uint8Array.from({ length: 4 }, (_, i) => key[(from + i) & 3]!);
      xorMaskInPlace(actual, phased, from, to);
      from = to;
    }
    assert.ok(actual.equals(expected), `length ${input.length}`);
  }
});

test('without WebAssembly (node --jitless) everything runs on the JS loop and still masks correctly', () => {
  const script =
    "import('./src/protocol/mask.ts').then((m) => { const d = Buffer.alloc(70000, 7); m.xorMaskInPlace(d, Buffer.from([1, 2, 3, 4]), 1); " +
    "const t = Buffer.alloc(70000); m.maskInto(Buffer.alloc(70000, 7), Buffer.from([1, 2, 3, 4]), t, 0); " +
    "console.log(JSON.stringify([typeof WebAssembly, m.wasmMaskAvailable, m.maskImplementations.wasm, [...d.subarray(0, 6)], d[69999], [...t.subarray(0, 4)]])); })";
  const output = execFileSync(process.execPath, ['--jitless', '--no-warnings', '--import', 'tsx', '-e', script], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 7 ^ key: from offset 1 the key starts at byte 1 (1, 2, 3, 4); byte 69999 is key index (69998 & 3) = 2.
  assert.equal(JSON.parse(output.trim()), ['undefined', false, null, [7, 6, 5, 4, 3, 6], 7 ^ 3, [6, 5, 4, 3]]);
});

test.run();
