import type { MaskKeySource } from './mask-keys.ts';
import { maskInto, xorMaskInPlace } from './mask.ts';

/** Unmasked payloads above this size are written as a separate buffer instead of being copied. */
const COPY_THRESHOLD = 16 * 1024;

/**
 * Frames of this many bytes and up (to the largest frame the encoder copies a payload into) are cut from a
 * shared slab instead of getting a buffer each. `Buffer.allocUnsafe` takes buffers below 4 KiB from an 8 KiB
 * pool and allocates a new pool (an ArrayBuffer and its backing store) every few such frames, and a buffer of
 * its own for each larger one; at 1 KiB messages that was 5 % of an echo server's time. Smaller frames stay
 * with the pool (it is refilled rarely for them, and its views are cheaper to make). A slab is never reused:
 * it is replaced when full and freed once the last frame cut from it has been written and dropped.
 */
const SLAB_FRAME_MIN = 512;
const SLAB_FRAME_MAX = COPY_THRESHOLD + 14;
const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(0);
let slabOffset = 0;

/** An uninitialised buffer of `size` bytes for a frame. */
function allocateFrame(size: number): Buffer {
  if (size < SLAB_FRAME_MIN || size > SLAB_FRAME_MAX) return Buffer.allocUnsafe(size);
  if (slabOffset + size > slab.byteLength) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE).buffer as ArrayBuffer;
    slabOffset = 0;
  }
  const frame = Buffer.from(slab, slabOffset, size);
  // 8-byte aligned, as Node's own pool does (word-wise masking needs no realignment at the frame's start).
  slabOffset = (slabOffset + size + 7) & ~7;
  return frame;
}

export function frameHeaderLength(payloadLength: number, masked: boolean): number {
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength < 65536 ? 2 : 8;
  return 2 + lengthBytes + (masked ? 4 : 0);
}

/** Writes a frame header (with the mask key, when `masks` is given) and returns its length. */
function writeHeader(
  target: Buffer,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  payloadLength: number,
  masks: MaskKeySource | null,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = masks ? 0x80 : 0;
  let offset: number;
  if (payloadLength < 126) {
    target[1] = maskBit | payloadLength;
    offset = 2;
  } else if (payloadLength < 65536) {
    target[1] = maskBit | 126;
    target[2] = payloadLength >>> 8;
    target[3] = payloadLength & 0xff;
    offset = 4;
  } else {
    target[1] = maskBit | 127;
    target.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), 2);
    target.writeUInt32BE(payloadLength >>> 0, 6);
    offset = 10;
  }
  if (masks) {
    masks.writeKey(target, offset);
    offset += 4;
  }
  return offset;
}

/**
 * Encodes one frame. Returns one buffer, or a header and the caller's payload when the payload is large
 * and unmasked (no copy). Masked payloads are copied and masked; the caller's bytes are never modified.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  masks: MaskKeySource | null,
  rsv1 = false,
): Buffer[] {
  const length = payload.length;
  const headerLength = frameHeaderLength(length, masks !== null);
  if (masks === null && length > COPY_THRESHOLD) {
    const header = allocateFrame(headerLength);
    writeHeader(header, opcode, fin, rsv1, length, null);
    return [header, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, length)];
  }
  const frame = allocateFrame(headerLength + length);
  const offset = writeHeader(frame, opcode, fin, rsv1, length, masks);
  if (masks) maskInto(payload, frame.subarray(offset - 4, offset), frame, offset);
  else frame.set(payload, offset);
  return [frame];
}

/** Encodes a whole text message as one frame, writing the string straight into the frame buffer. */
export function encodeTextFrame(text: string, masks: MaskKeySource | null): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = frameHeaderLength(length, masks !== null);
  const frame = allocateFrame(headerLength + length);
  const offset = writeHeader(frame, 0x1, true, false, length, masks);
  frame.write(text, offset);
  if (masks) xorMaskInPlace(frame, frame.subarray(offset - 4, offset), offset, offset + length);
  return frame;
}
