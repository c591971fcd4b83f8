/**
 * Deterministic interop payloads. test/peers/payloads.py builds the same bytes, so either side can verify
 * what the other sent.
 */

export const MiB = 1024 * 1024;

/** Message sizes in bytes: empty, the 7-bit/16-bit/64-bit length boundaries, and the default max payload. */
export const INTEROP_SIZES = [0, 125, 126, 65535, 65536, 16 * MiB] as const;

/** 10 bytes of UTF-8 with 1-, 2-, 3- and 4-byte sequences, so fragments split characters. */
const TEXT_BLOCK = 'aé€😀';
const TEXT_BLOCK_BYTES = 10;

/** A string whose UTF-8 encoding is exactly `size` bytes. */
export function textPayload(size: number): string {
  return TEXT_BLOCK.repeat(Math.floor(size / TEXT_BLOCK_BYTES)) + 'x'.repeat(size % TEXT_BLOCK_BYTES);
}

const BINARY_PERIOD = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 31 + 7) & 0xff));

/** `size` bytes: byte i is (i * 31 + 7) mod 256. */
export function binaryPayload(size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; offset += BINARY_PERIOD.length) {
    BINARY_PERIOD.copy(data, offset, 0, Math.min(BINARY_PERIOD.length, size - offset));
  }
  return data;
}

/** Human label for a size, e.g. "16 MiB", "65536 B". */
export function sizeLabel(size: number): string {
  return size >= MiB && size % MiB === 0 ? `${size / MiB} MiB` : `${size} B`;
}

/** Compact description of a payload mismatch; never dumps megabytes into the test output. */
export function describeMismatch(actual: Uint8Array | string, expected: Uint8Array | string): string | null {
  const a = typeof actual === 'string' ? Buffer.from(actual) : Buffer.from(actual);
  const e = typeof expected === 'string' ? Buffer.from(expected) : Buffer.from(expected);
  if (a.equals(e)) return null;
  let index = 0;
  while (index < a.length && index < e.length && a[index] === e[index]) index++;
  return `payload differs: got ${a.length} bytes, expected ${e.length}; first difference at byte ${index}`;
}
