import { CloseCode } from './constants.ts';
import { WsProtocolError } from './errors.ts';
import { maskInto, xorMaskInPlace } from './mask.ts';

export interface FrameHeader {
  fin: boolean;
  /** The three RSV bits as a number: RSV1 = 4, RSV2 = 2, RSV3 = 1. */
  rsv: number;
  opcode: number;
  masked: boolean;
  payloadLength: number;
}

/**
 * The parser's calls, each with the parser's `owner` first: one table of functions shared by all parsers, so
 * that a parser costs no sink object, and the owner's handlers can stay private (see Protocol).
 */
export interface FrameSink<Owner> {
  /** Called once the header is complete, before any payload is buffered; may throw WsProtocolError. */
  frameHeader(owner: Owner, header: FrameHeader): void;
  /**
   * Called with each unmasked piece of a payload that arrives over several reads, as it arrives (the last
   * piece included), before `frame`; may throw WsProtocolError. Payloads that arrive whole skip it.
   */
  partialPayload(owner: Owner, header: FrameHeader, piece: Buffer): void;
  /** Called with the whole, unmasked payload. */
  frame(owner: Owner, header: FrameHeader, payload: Buffer): void;
}

const EMPTY = Buffer.alloc(0);
/** Scratch for the key bytes of one synchronous unmasking call. */
const KEY_BYTES = new Uint8Array(4);

/** The key bytes starting at key index `phase` (the key as it applies from a payload offset of that phase). */
function keyBytes(word: number, phase: number): Uint8Array {
  for (let i = 0; i < 4; i++) KEY_BYTES[i] = (word >>> (8 * (3 - ((phase + i) & 3)))) & 0xff;
  return KEY_BYTES;
}
const TWO_POW_32 = 2 ** 32;
/** Bits of FrameParser.halted. */
const STOPPED = 1;
const PAUSED = 2;
/** A payload still in flight is collected into a buffer this large at first, growing as bytes arrive. */
const INITIAL_COLLECT_SIZE = 1024 * 1024;

/**
 * Incremental RFC 6455 frame parser. Accepts bytes in any chunking; headers are read across chunks
 * without joining them, and a payload that is still arriving is copied into one buffer as it comes, so
 * memory follows the bytes received however small the reads. Takes ownership of the chunks it is
 * given: masked payloads are unmasked in place.
 */
export class FrameParser<Owner = unknown> {
  private chunks: Buffer[] = [];
  /** Index of the first unread chunk and the read position inside it. */
  private chunkIndex = 0;
  private headOffset = 0;
  private buffered = 0;
  private header: FrameHeader | null = null;
  /** The payload being collected when it did not arrive whole, and how much of it is filled. */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  /** The frame's mask key, its 4 bytes packed big-endian (a number costs no object per connection). */
  private maskWord = 0;
  /**
   * STOPPED by stop(), for good; PAUSED by pause(): bytes pushed meanwhile are kept, and parsed on resume().
   * One field for both: a connection's parser holds its owner besides its sink (see FrameSink).
   */
  private halted = 0;

  constructor(
    private readonly owner: Owner,
    private readonly sink: FrameSink<Owner>,
  ) {}

  push(chunk: Buffer): void {
    if ((this.halted & STOPPED) !== 0 || chunk.length === 0) return;
    if (this.partial !== null) {
      const used = this.collect(chunk);
      if (this.partial !== null || used === chunk.length || (this.halted & STOPPED) !== 0) return;
      chunk = chunk.subarray(used);
    }
    if (this.chunkIndex > 0) {
      this.chunks = this.chunks.slice(this.chunkIndex);
      this.chunkIndex = 0;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // parse()'s loop, written out: a call per chunk here measurably slows the parsing of tiny frames.
    while (this.halted === 0) {
      if (this.header === null && !this.readHeader()) return;
      if (!this.readPayload()) return;
    }
  }

  /** Stops delivering frames after the current one (its sink may call this) until resume(). */
  pause(): void {
    this.halted |= PAUSED;
  }

  /** Parses the bytes pushed while paused, and goes on with later pushes. */
  resume(): void {
    this.halted &= ~PAUSED;
    this.parse();
  }

  private parse(): void {
    while (this.halted === 0) {
      if (this.header === null && !this.readHeader()) return;
      if (!this.readPayload()) return;
    }
  }

  /** Drops buffered bytes and ignores all further input. */
  stop(): void {
    this.halted |= STOPPED;
    this.chunks = [];
    this.chunkIndex = 0;
    this.buffered = 0;
    this.headOffset = 0;
    this.partial = null;
  }

  private byteAt(index: number): number {
    let i = index + this.headOffset;
    for (let c = this.chunkIndex; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
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
      this.maskWord =
        ((this.byteAt(keyStart) << 24) | (this.byteAt(keyStart + 1) << 16) | (this.byteAt(keyStart + 2) << 8) | this.byteAt(keyStart + 3)) >>> 0;
    }
    this.skip(headerLength);
    const header: FrameHeader = { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x7, opcode: b0 & 0x0f, masked, payloadLength };
    this.sink.frameHeader(this.owner, header);
    this.header = header;
    return true;
  }

  private readPayload(): boolean {
    const length = this.header!.payloadLength;
    if (this.buffered >= length) {
      const payload = this.take(length);
      if (this.header!.masked) xorMaskInPlace(payload, keyBytes(this.maskWord, 0));
      this.deliver(payload);
      return true;
    }
    this.partial = Buffer.allocUnsafe(Math.min(length, Math.max(2 * this.buffered, INITIAL_COLLECT_SIZE)));
    this.partialFilled = 0;
    for (let c = this.chunkIndex; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      const from = c === this.chunkIndex ? this.headOffset : 0;
      this.copyCollected(from > 0 ? chunk.subarray(from) : chunk, this.partial);
    }
    this.chunks = [];
    this.chunkIndex = 0;
    this.headOffset = 0;
    this.buffered = 0;
    this.sink.partialPayload(this.owner, this.header!, this.partial.subarray(0, this.partialFilled));
    return false;
  }

  /** Copies what `chunk` holds of the payload being collected; returns how many bytes it used. */
  private collect(chunk: Buffer): number {
    const length = this.header!.payloadLength;
    const used = Math.min(length - this.partialFilled, chunk.length);
    const needed = this.partialFilled + used;
    let partial = this.partial!;
    if (partial.length < needed) {
      const grown = Buffer.allocUnsafe(Math.min(length, Math.max(needed, 2 * partial.length)));
      partial.copy(grown, 0, 0, this.partialFilled);
      partial = this.partial = grown;
    }
    const from = this.partialFilled;
    this.copyCollected(used === chunk.length ? chunk : chunk.subarray(0, used), partial);
    this.sink.partialPayload(this.owner, this.header!, partial.subarray(from, needed));
    if (needed === length) {
      this.partial = null;
      this.deliver(partial);
    }
    return used;
  }

  /** Appends `bytes` to the payload being collected in `partial`, unmasking them on the way (one pass). */
  private copyCollected(bytes: Buffer, partial: Buffer): void {
    const at = this.partialFilled;
    if (this.header!.masked) maskInto(bytes, keyBytes(this.maskWord, at & 3), partial, at);
    else partial.set(bytes, at);
    this.partialFilled = at + bytes.length;
  }

  private deliver(payload: Buffer): void {
    const header = this.header!;
    this.header = null;
    this.sink.frame(this.owner, header, payload);
  }

  private lengthError(message: string): WsProtocolError {
    this.stop();
    return new WsProtocolError(CloseCode.ProtocolError, message);
  }

  private skip(count: number): void {
    this.buffered -= count;
    while (count > 0) {
      const remaining = this.chunks[this.chunkIndex]!.length - this.headOffset;
      if (count < remaining) {
        this.headOffset += count;
        return;
      }
      count -= remaining;
      this.chunkIndex++;
      this.headOffset = 0;
    }
    if (this.chunkIndex === this.chunks.length) {
      this.chunks = [];
      this.chunkIndex = 0;
    }
  }

  /** Removes `count` bytes from the front: a view into a chunk when they lie in one, else a copy. */
  private take(count: number): Buffer {
    if (count === 0) return EMPTY;
    const first = this.chunks[this.chunkIndex]!;
    const start = this.headOffset;
    if (first.length - start >= count) {
      this.skip(count);
      return first.subarray(start, start + count);
    }
    const out = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = this.chunks[this.chunkIndex]!;
      const n = Math.min(chunk.length - this.headOffset, count - written);
      chunk.copy(out, written, this.headOffset, this.headOffset + n);
      written += n;
      this.skip(n);
    }
    return out;
  }
}
