import { MASK_WASM_BASE64 } from './mask-wasm.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes a byte loop beats creating a 32-bit view. */
const WORD_LOOP_THRESHOLD = 128;
/**
 * From this many bytes up the WebAssembly kernel is used (when available): below it the call and the copies
 * into and out of its memory cost more than the JS word loop saves. Chosen from `npm run bench` (codec section,
 * "JS loop" vs "wasm" columns).
 */
export const WASM_CUTOVER = 512;
/** Bytes per copy-in/xor/copy-out round trip through the kernel's memory: small enough to stay in L1/L2. */
const WASM_BLOCK = 16 * 1024;

interface WasmKernel {
  /** XORs the kernel memory's bytes [0, length) with a little-endian key word (its length rounded up to 16). */
  xor(length: number, key: number): void;
  /** The first WASM_BLOCK bytes of the kernel's memory. */
  scratch: Uint8Array;
}

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** The SIMD kernel of src/protocol/mask.wat, or null where WebAssembly (or its SIMD) is unavailable. */
function loadKernel(): WasmKernel | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return null;
    const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(MASK_WASM_BASE64, 'base64')));
    const memory = exports.memory as { buffer: ArrayBuffer };
    const xor = exports.xor as (length: number, key: number) => void;
    return { xor, scratch: new Uint8Array(memory.buffer, 0, WASM_BLOCK) };
  } catch {
    return null;
  }
}

const kernel = loadKernel();

/** Whether the WebAssembly kernel is in use (tests run the JS loop and the kernel side by side). */
export const wasmMaskAvailable = kernel !== null;

/**
 * XORs `data[start..end)` in place with the 4-byte `key`, key byte 0 applying to `data[start]`
 * (RFC 6455 section 5.3). Large ranges go through the WebAssembly kernel, the rest through the JS loop.
 */
export function xorMaskInPlace(data: Uint8Array, key: Uint8Array, start = 0, end = data.length): void {
  if (kernel !== null && end - start >= WASM_CUTOVER) wasmXorInPlace(kernel, data, key, start, end);
  else jsXorMaskInPlace(data, key, start, end);
}

/** Copies `source` to `target` at `targetOffset`, masked with `key`. `source` is not modified. */
export function maskInto(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  if (kernel !== null && source.length >= WASM_CUTOVER) {
    wasmMaskInto(kernel, source, key, target, targetOffset);
    return;
  }
  target.set(source, targetOffset);
  jsXorMaskInPlace(target, key, targetOffset, targetOffset + source.length);
}

/** Unmasks `data` in place. */
export function unmaskInPlace(data: Uint8Array, key: Uint8Array): void {
  xorMaskInPlace(data, key, 0, data.length);
}

function keyWord(key: Uint8Array): number {
  return key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24);
}

/** The kernel's path: each block is copied into its memory, XORed with SIMD, and copied back. */
function wasmXorInPlace(kernel: WasmKernel, data: Uint8Array, key: Uint8Array, start: number, end: number): void {
  const word = keyWord(key);
  const scratch = kernel.scratch;
  for (let i = start; i < end; i += WASM_BLOCK) {
    const n = Math.min(WASM_BLOCK, end - i);
    scratch.set(n === data.length ? data : data.subarray(i, i + n));
    kernel.xor(n, word);
    data.set(n === WASM_BLOCK ? scratch : scratch.subarray(0, n), i);
  }
}

function wasmMaskInto(kernel: WasmKernel, source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  const word = keyWord(key);
  const scratch = kernel.scratch;
  const length = source.length;
  for (let i = 0; i < length; i += WASM_BLOCK) {
    const n = Math.min(WASM_BLOCK, length - i);
    scratch.set(n === length ? source : source.subarray(i, i + n));
    kernel.xor(n, word);
    target.set(n === WASM_BLOCK ? scratch : scratch.subarray(0, n), targetOffset + i);
  }
}

/** The implementations side by side, for the differential tests and the benchmark (not part of the API). */
export const maskImplementations = {
  js: {
    xorMaskInPlace: jsXorMaskInPlace,
    maskInto(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
      target.set(source, targetOffset);
      jsXorMaskInPlace(target, key, targetOffset, targetOffset + source.length);
    },
  },
  wasm:
    kernel === null
      ? null
      : {
          xorMaskInPlace: (data: Uint8Array, key: Uint8Array, start = 0, end = data.length) => wasmXorInPlace(kernel, data, key, start, end),
          maskInto: (source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number) => wasmMaskInto(kernel, source, key, target, targetOffset),
        },
};

/** The JS loop: aligned 32-bit words where the buffer allows, bytes at the edges. */
function jsXorMaskInPlace(data: Uint8Array, key: Uint8Array, start = 0, end = data.length): void {
  if (end - start < WORD_LOOP_THRESHOLD) {
    xorBytes(data, key, start, end);
    return;
  }
  let i = start;
  const misalignment = (data.byteOffset + i) & 3;
  if (misalignment !== 0) {
    i += 4 - misalignment;
    xorBytes(data, key, start, i);
  }
  const phase = (i - start) & 3;
  const b0 = key[phase]!, b1 = key[(phase + 1) & 3]!, b2 = key[(phase + 2) & 3]!, b3 = key[(phase + 3) & 3]!;
  const word = LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
  const words = (end - i) >>> 2;
  const view = new Int32Array(data.buffer, data.byteOffset + i, words);
  let w = 0;
  for (const unrolledEnd = words & ~7; w < unrolledEnd; w += 8) {
    view[w] ^= word;
    view[w + 1] ^= word;
    view[w + 2] ^= word;
    view[w + 3] ^= word;
    view[w + 4] ^= word;
    view[w + 5] ^= word;
    view[w + 6] ^= word;
    view[w + 7] ^= word;
  }
  for (; w < words; w++) view[w] ^= word;
  i += words << 2;
  for (let phaseIndex = (i - start) & 3; i < end; i++, phaseIndex = (phaseIndex + 1) & 3) data[i] ^= key[phaseIndex]!;
}

function xorBytes(data: Uint8Array, key: Uint8Array, start: number, end: number): void {
  const k0 = key[0]!, k1 = key[1]!, k2 = key[2]!, k3 = key[3]!;
  let i = start;
  for (const wholeEnd = end - 3; i < wholeEnd; i += 4) {
    data[i] ^= k0;
    data[i + 1] ^= k1;
    data[i + 2] ^= k2;
    data[i + 3] ^= k3;
  }
  if (i < end) data[i++] ^= k0;
  if (i < end) data[i++] ^= k1;
  if (i < end) data[i] ^= k2;
}
