const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const WORD_LOOP_THRESHOLD = 32;

/**
 * XORs `data[start..end)` in place with the 4-byte `key`, key byte 0 applying to `data[start]`
 * (RFC 6455 section 5.3). Works on aligned 32-bit words where the buffer allows.
 */
export function xorMaskInPlace(data: Uint8Array, key: Uint8Array, start = 0, end = data.length): void {
  let i = start;
  if (end - start >= WORD_LOOP_THRESHOLD) {
    const misalignment = (data.byteOffset + i) & 3;
    for (const leadEnd = misalignment === 0 ? i : i + 4 - misalignment; i < leadEnd; i++) {
      data[i] ^= key[(i - start) & 3]!;
    }
    const phase = (i - start) & 3;
    const b0 = key[phase]!, b1 = key[(phase + 1) & 3]!, b2 = key[(phase + 2) & 3]!, b3 = key[(phase + 3) & 3]!;
    const word = LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const words = (end - i) >>> 2;
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    let w = 0;
    for (const unrolledEnd = words & ~3; w < unrolledEnd; w += 4) {
      view[w] ^= word;
      view[w + 1] ^= word;
      view[w + 2] ^= word;
      view[w + 3] ^= word;
    }
    for (; w < words; w++) view[w] ^= word;
    i += words << 2;
  }
  for (; i < end; i++) data[i] ^= key[(i - start) & 3]!;
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
