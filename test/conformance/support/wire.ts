// Test-only wire helpers: build frames the way a peer would send them, and read back the frames
// an endpoint wrote. Written from RFC 6455 section 5.2, independently of src/protocol.
import { createHash } from 'node:crypto';

export type Role = 'client' | 'server';

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  /** The three reserved bits as a number: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv?: number;
  /** Length form in the header: the minimal one by default, or forced to 7, 16 or 64 bits. */
  lengthBits?: 7 | 16 | 64;
  /** Write this value in the 64-bit length field instead of the payload length (implies lengthBits 64). */
  declaredLength?: bigint;
  /** 'role' (default): masked when the peer is a client. 'wrong': the opposite of what RFC 6455 requires. */
  masking?: 'role' | 'wrong';
  /** The masking key to use when the frame is masked. */
  maskKey?: Uint8Array;
}

const DEFAULT_PEER_MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

export function payloadBytes(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

/** Whether frames that a peer sends to an endpoint of `role` are masked (client -> server frames are). */
export function peerMasks(role: Role): boolean {
  return role === 'server';
}

function headerBytes(spec: FrameSpec, payloadLength: number, masked: boolean): Buffer {
  const first = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode;
  const maskBit = masked ? 0x80 : 0;
  const bits = spec.declaredLength !== undefined ? 64 : (spec.lengthBits ?? minimalLengthBits(payloadLength));
  if (bits === 7) return Buffer.from([first, maskBit | payloadLength]);
  if (bits === 16) {
    const header = Buffer.from([first, maskBit | 126, 0, 0]);
    header.writeUInt16BE(payloadLength, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = first;
  header[1] = maskBit | 127;
  header.writeBigUInt64BE(spec.declaredLength ?? BigInt(payloadLength), 2);
  return header;
}

function minimalLengthBits(length: number): 7 | 16 | 64 {
  if (length <= 125) return 7;
  return length <= 0xffff ? 16 : 64;
}

export function xorWithKey(data: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[i & 3];
  return out;
}

function isMasked(spec: FrameSpec, role: Role): boolean {
  const correct = peerMasks(role);
  return spec.masking === 'wrong' ? !correct : correct;
}

/** The bytes of one frame as the peer of an endpoint in `role` sends it. */
export function peerFrame(spec: FrameSpec, role: Role): Buffer {
  const payload = payloadBytes(spec.payload);
  const masked = isMasked(spec, role);
  const header = headerBytes(spec, payload.length, masked);
  if (!masked) return Buffer.concat([header, payload]);
  const key = spec.maskKey ?? DEFAULT_PEER_MASK;
  return Buffer.concat([header, key, xorWithKey(payload, key)]);
}

/** Only the header (including the masking key, when masked) of the frame `peerFrame` would build. */
export function peerFrameHeader(spec: FrameSpec, role: Role): Buffer {
  const payload = payloadBytes(spec.payload);
  const masked = isMasked(spec, role);
  const header = headerBytes(spec, payload.length, masked);
  return masked ? Buffer.concat([header, spec.maskKey ?? DEFAULT_PEER_MASK]) : header;
}

/** An unmasked frame: the canonical form in which expected output frames are written down. */
export function plainFrame(spec: FrameSpec): Buffer {
  const payload = payloadBytes(spec.payload);
  return Buffer.concat([headerBytes(spec, payload.length, false), payload]);
}

export function hex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not hex: ${text}`);
  return Buffer.from(digits, 'hex');
}

export function spacedHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** Identifies long payloads in descriptions; SHA-1 because it is the fastest here and only identity matters. */
export function digest(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex').slice(0, 16);
}

const LONG = 200;

/** A readable, comparable description of bytes: spaced hex, or length and digest when long. */
export function describeBytes(bytes: Uint8Array): string {
  return bytes.length <= LONG ? spacedHex(bytes) : `(${bytes.length} bytes sha1:${digest(bytes)})`;
}

/** Describes a frame as unmasked header + payload, so that both roles compare equal. */
export function describeFrame(header: Uint8Array, payload: Uint8Array): string {
  if (payload.length <= LONG) return spacedHex(Buffer.concat([header, payload]));
  return `${spacedHex(header)} ${describeBytes(payload)}`;
}

export interface WrittenFrame {
  /** Unmasked header (mask bit cleared, key removed) followed by the unmasked payload, described. */
  description: string;
  opcode: number;
  fin: boolean;
  payload: Buffer;
  maskKey: Buffer | null;
}

/**
 * Splits the bytes an endpoint wrote into frames. Problems (a wrongly masked frame, trailing bytes
 * that do not make a frame) are reported in `problems` so that assertions show them.
 */
export function readWrittenFrames(bytes: Buffer, writerRole: Role): { frames: WrittenFrame[]; problems: string[] } {
  const frames: WrittenFrame[] = [];
  const problems: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    if (bytes.length - offset < 2) break;
    const first = bytes[offset];
    const masked = (bytes[offset + 1] & 0x80) !== 0;
    let length = bytes[offset + 1] & 0x7f;
    offset += 2;
    let lengthField: Buffer = Buffer.alloc(0);
    if (length === 126) {
      if (bytes.length - offset < 2) { offset = start; break; }
      lengthField = bytes.subarray(offset, offset + 2);
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (bytes.length - offset < 8) { offset = start; break; }
      lengthField = bytes.subarray(offset, offset + 8);
      length = Number(bytes.readBigUInt64BE(offset));
      offset += 8;
    }
    let maskKey: Buffer | null = null;
    if (masked) {
      if (bytes.length - offset < 4) { offset = start; break; }
      maskKey = Buffer.from(bytes.subarray(offset, offset + 4));
      offset += 4;
    }
    if (bytes.length - offset < length) { offset = start; break; }
    const raw = bytes.subarray(offset, offset + length);
    offset += length;
    const payload = maskKey ? xorWithKey(raw, maskKey) : Buffer.from(raw);
    const header = Buffer.concat([Buffer.from([first, bytes[start + 1] & 0x7f]), lengthField]);
    if (writerRole === 'client' && !masked) problems.push(`client wrote an unmasked frame ${describeFrame(header, payload)}`);
    if (writerRole === 'server' && masked) problems.push(`server wrote a masked frame ${describeFrame(header, payload)}`);
    frames.push({ description: describeFrame(header, payload), opcode: first & 0x0f, fin: (first & 0x80) !== 0, payload, maskKey });
  }
  if (offset < bytes.length) problems.push(`trailing bytes that are not a whole frame: ${describeBytes(bytes.subarray(offset))}`);
  return { frames, problems };
}

/** Deterministic, distinct 4-byte masking keys for the client role, remembering what was handed out. */
export class MaskSequence {
  readonly issued: Buffer[] = [];
  private counter = 0;
  readonly next = (): Uint8Array => {
    this.counter += 1;
    const key = createHash('sha256').update(`mask-${this.counter}`).digest().subarray(0, 4);
    this.issued.push(Buffer.from(key));
    return Uint8Array.from(key);
  };
}

export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}
