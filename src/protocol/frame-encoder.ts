import type { MaskKeySource } from './mask-keys.ts';
import { maskInto, xorMaskInPlace } from './mask.ts';

/** Unmasked payloads above this size are written as a separate buffer instead of being copied. */
const COPY_THRESHOLD = 16 * 1024;

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
    const header = Buffer.allocUnsafe(headerLength);
    writeHeader(header, opcode, fin, rsv1, length, null);
    return [header, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, length)];
  }
  const frame = Buffer.allocUnsafe(headerLength + length);
  const offset = writeHeader(frame, opcode, fin, rsv1, length, masks);
  if (masks) maskInto(payload, frame.subarray(offset - 4, offset), frame, offset);
  else frame.set(payload, offset);
  return [frame];
}

/** Encodes a whole text message as one frame, writing the string straight into the frame buffer. */
export function encodeTextFrame(text: string, masks: MaskKeySource | null): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = frameHeaderLength(length, masks !== null);
  const frame = Buffer.allocUnsafe(headerLength + length);
  const offset = writeHeader(frame, 0x1, true, false, length, masks);
  frame.write(text, offset);
  if (masks) xorMaskInPlace(frame, frame.subarray(offset - 4, offset), offset, offset + length);
  return frame;
}
