const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes a byte loop beats creating a 32-bit view. */
const WORD_LOOP_THRESHOLD = 128;

/**
 * XORs `data[start..end)` in place with the 4-byte `key`, key byte 0 applying to `data[start]`
 * (RFC 6455 section 5.3). Works on aligned 32-bit words where the buffer allows.
 */
export function xorMaskInPlace(data: Uint8Array, key: Uint8Array, start = 0, end = data.length): void {
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

/** Copies `source` to `target` at `targetOffset`, masked with `key`. `source` is not modified. */
export function maskInto(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  target.set(source, targetOffset);
  xorMaskInPlace(target, key, targetOffset, targetOffset + source.length);
}

/** Unmasks `data` in place. */
export function unmaskInPlace(data: Uint8Array, key: Uint8Array): void {
  xorMaskInPlace(data, key, 0, data.length);
}
