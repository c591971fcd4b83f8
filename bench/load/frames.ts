import { createHash, randomBytes } from 'node:crypto';

/**
 * The load generator's own minimal RFC 6455 pieces, independent of both libraries under test:
 * pre-built masked client frames, the upgrade request, and a counter of echoed frames.
 */

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A payload of exactly `size` bytes; text payloads are valid UTF-8 with some 2-byte characters. */
export function makePayload(size: number, binary: boolean): Buffer {
  if (binary) return randomBytes(size);
  const pattern = Buffer.from('wsmesh bench: grüße, señor — ');
  const payload = Buffer.alloc(size, 'a');
  let offset = 0;
  while (offset + pattern.length <= size) offset += pattern.copy(payload, offset);
  return payload;
}

/** One masked client frame (FIN set) carrying `payload`, with a random mask key. */
export function buildMaskedFrame(payload: Buffer, binary: boolean): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + length);
  frame[0] = 0x80 | (binary ? 0x2 : 0x1);
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const keyOffset = 2 + lengthBytes;
  randomBytes(4).copy(frame, keyOffset);
  for (let i = 0; i < length; i++) frame[keyOffset + 4 + i] = payload[i]! ^ frame[keyOffset + (i & 3)]!;
  return frame;
}

/** `count` consecutive masked frames (distinct keys), so n replies are sent as one subarray write. */
export function buildFrameBatch(payload: Buffer, binary: boolean, count: number): { batch: Buffer; frameLength: number } {
  const frames = Array.from({ length: count }, () => buildMaskedFrame(payload, binary));
  return { batch: Buffer.concat(frames), frameLength: frames[0]!.length };
}

/** A fresh random Sec-WebSocket-Key and the Sec-WebSocket-Accept a server must answer it with. */
export function upgradeKey(): { key: string; expectedAccept: string } {
  const key = randomBytes(16).toString('base64');
  return { key, expectedAccept: createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64') };
}

export function upgradeRequest(port: number): { request: string; expectedAccept: string } {
  const { key, expectedAccept } = upgradeKey();
  const request =
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return { request, expectedAccept };
}

/** Checks a complete HTTP response head for a 101 with the right accept key; returns a problem or null. */
export function checkUpgradeResponse(head: string, expectedAccept: string): string | null {
  if (!/^HTTP\/1\.1 101 /.test(head)) return `expected 101 Switching Protocols, got: ${head.split('\r\n')[0]}`;
  const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
  return accept === expectedAccept ? null : `wrong Sec-WebSocket-Accept ${accept}`;
}

/**
 * Counts complete frames in a byte stream arriving in arbitrary chunks, reading only headers and skipping
 * payloads. Handles masked frames too (a raw TCP echo returns our masked frames unchanged).
 */
export class FrameCounter {
  frames = 0;
  payloadBytes = 0;
  /** First problem seen (wrong opcode, missing FIN, wrong size); counting goes on. */
  problem: string | null = null;
  private readonly header = Buffer.alloc(14);
  private headerBytes = 0;
  private payloadLeft = 0;
  private inPayload = false;
  private payloadBytesOfFrame = 0;

  constructor(
    private readonly expectedOpcode: number,
    private readonly expectedLength: number,
    private readonly onFrame: () => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.inPayload) {
        const take = Math.min(this.payloadLeft, chunk.length - offset);
        this.payloadLeft -= take;
        offset += take;
        if (this.payloadLeft === 0) this.completeFrame();
        continue;
      }
      offset = this.readHeader(chunk, offset);
    }
  }

  private readHeader(chunk: Buffer, offset: number): number {
    const needed = this.headerBytes < 2 ? 2 : headerLength(this.header);
    const take = Math.min(needed - this.headerBytes, chunk.length - offset);
    chunk.copy(this.header, this.headerBytes, offset, offset + take);
    this.headerBytes += take;
    offset += take;
    if (this.headerBytes === 2 && headerLength(this.header) > 2) return offset;
    if (this.headerBytes < needed) return offset;
    const length = payloadLength(this.header);
    if ((this.header[0]! & 0x0f) !== this.expectedOpcode || (this.header[0]! & 0x80) === 0 || length !== this.expectedLength) {
      this.problem ??= `unexpected frame: byte0=0x${this.header[0]!.toString(16)} length=${length}`;
    }
    this.headerBytes = 0;
    this.payloadLeft = length;
    this.payloadBytesOfFrame = length;
    this.inPayload = true;
    if (length === 0) this.completeFrame();
    return offset;
  }

  private completeFrame(): void {
    this.inPayload = false;
    this.frames++;
    this.payloadBytes += this.payloadBytesOfFrame;
    this.onFrame();
  }
}

function headerLength(header: Buffer): number {
  const lengthCode = header[1]! & 0x7f;
  return 2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0) + (header[1]! & 0x80 ? 4 : 0);
}

function payloadLength(header: Buffer): number {
  const lengthCode = header[1]! & 0x7f;
  if (lengthCode === 126) return header.readUInt16BE(2);
  if (lengthCode === 127) return Number(header.readBigUInt64BE(2));
  return lengthCode;
}
