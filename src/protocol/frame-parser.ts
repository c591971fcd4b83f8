import { CloseCode } from './constants.ts';
import { WsProtocolError } from './errors.ts';
import { xorMaskInPlace } from './mask.ts';

export interface FrameHeader {
  fin: boolean;
  /** The three RSV bits as a number: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv: number;
  opcode: number;
  masked: boolean;
  payloadLength: number;
}

export interface FrameSink {
  /** Called once the header is complete, before any payload is buffered; may throw WsProtocolError. */
  frameHeader(header: FrameHeader): void;
  /** Called with the whole, unmasked payload. */
  frame(header: FrameHeader, payload: Buffer): void;
}

const EMPTY = Buffer.alloc(0);
const TWO_POW_32 = 2 ** 32;

/**
 * Incremental RFC 6455 frame parser. Accepts bytes in any chunking and never concatenates chunks to
 * read a header. Takes ownership of the chunks it is given: masked payloads are unmasked in place.
 */
export class FrameParser {
  private readonly chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private headOffset = 0;
  private buffered = 0;
  private header: FrameHeader | null = null;
  private readonly maskKey = new Uint8Array(4);
  private stopped = false;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.stopped) {
      if (this.header === null && !this.readHeader()) return;
      if (!this.readPayload()) return;
    }
  }

  /** Drops buffered bytes and ignores all further input. */
  stop(): void {
    this.stopped = true;
    this.chunks.length = 0;
    this.buffered = 0;
    this.headOffset = 0;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private byteAt(index: number): number {
    let i = index + this.headOffset;
    for (const chunk of this.chunks) {
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    throw new RangeError('read past buffered bytes');
  }

  private readHeader(): boolean {
    if (this.buffered < 2) return false;
    const b0 = this.byteAt(0);
    const b1 = this.byteAt(1);
    const masked = (b1 & 0x80) !== 0;
    let payloadLength = b1 & 0x7f;
    const lengthBytes = payloadLength === 126 ? 2 : payloadLength === 127 ? 8 : 0;
    const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
    if (this.buffered < headerLength) return false;
    if (lengthBytes === 2) {
      payloadLength = (this.byteAt(2) << 8) | this.byteAt(3);
      if (payloadLength < 126) throw this.lengthError('a 16-bit length below 126 is not in its minimal form');
    } else if (lengthBytes === 8) {
      const high = this.byteAt(2) * 2 ** 24 + ((this.byteAt(3) << 16) | (this.byteAt(4) << 8) | this.byteAt(5));
      const low = this.byteAt(6) * 2 ** 24 + ((this.byteAt(7) << 16) | (this.byteAt(8) << 8) | this.byteAt(9));
      if (high >= 0x80000000) throw this.lengthError('the most significant bit of a 64-bit length must be 0');
      payloadLength = high * TWO_POW_32 + low;
      if (payloadLength < 65536) throw this.lengthError('a 64-bit length below 65536 is not in its minimal form');
    }
    if (masked) {
      const keyStart = 2 + lengthBytes;
      for (let i = 0; i < 4; i++) this.maskKey[i] = this.byteAt(keyStart + i);
    }
    this.skip(headerLength);
    const header: FrameHeader = { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x7, opcode: b0 & 0x0f, masked, payloadLength };
    this.sink.frameHeader(header);
    this.header = header;
    return true;
  }

  private readPayload(): boolean {
    const header = this.header!;
    const length = header.payloadLength;
    if (this.buffered < length) return false;
    const payload = this.take(length);
    if (header.masked) xorMaskInPlace(payload, this.maskKey);
    this.header = null;
    this.sink.frame(header, payload);
    return true;
  }

  private lengthError(message: string): WsProtocolError {
    this.stop();
    return new WsProtocolError(CloseCode.ProtocolError, message);
  }

  private skip(count: number): void {
    this.buffered -= count;
    while (count > 0) {
      const remaining = this.chunks[0]!.length - this.headOffset;
      if (count < remaining) {
        this.headOffset += count;
        return;
      }
      count -= remaining;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** Removes `count` bytes from the front: a view into a chunk when they lie in one, else a copy. */
  private take(count: number): Buffer {
    if (count === 0) return EMPTY;
    const first = this.chunks[0]!;
    const start = this.headOffset;
    if (first.length - start >= count) {
      this.skip(count);
      return first.subarray(start, start + count);
    }
    const out = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.headOffset;
      const n = Math.min(available, count - written);
      chunk.copy(out, written, this.headOffset, this.headOffset + n);
      written += n;
      this.skip(n);
    }
    return out;
  }
}
