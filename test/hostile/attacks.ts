// Hostile clients over real sockets on 127.0.0.1, shared by the tests and by measure.ts.
import { randomBytes } from 'node:crypto';
import { rawConnect, upgradeRequest } from '../transport/raw-client.ts';
import type { RawConnection } from '../transport/raw-client.ts';

export interface AttackOutcome {
  /** Everything the server sent, as latin1 text (an HTTP answer) or bytes. */
  received: Buffer;
  /** Bytes the attacker managed to send before the server closed the connection. */
  sent: number;
}

/** The first line of an HTTP answer. */
export function statusOf(outcome: AttackOutcome): string {
  const text = outcome.received.toString('latin1');
  const end = text.indexOf('\r\n');
  return end === -1 ? text : text.slice(0, end);
}

/** Sends a WebSocket upgrade request one byte every `intervalMs` until the server closes the connection. */
export async function slowloris(port: number, intervalMs = 1000, path = '/'): Promise<AttackOutcome> {
  const raw = await rawConnect(port);
  const request = Buffer.from(upgradeRequest(path, ['Sec-WebSocket-Protocol: wsmesh.v2']), 'latin1');
  let sent = 0;
  const writeNext = () => {
    if (raw.socket.destroyed || sent >= request.length) return;
    raw.socket.write(request.subarray(sent, sent + 1));
    sent++;
  };
  writeNext();
  const timer = setInterval(writeNext, intervalMs);
  try {
    return { received: await raw.closed, sent };
  } finally {
    clearInterval(timer);
  }
}

/** A request head with `count` header lines (`X-Flood-<i>: <value>`) after a valid upgrade request's lines. */
export function floodedRequest(count: number, valueLength: number): Buffer {
  const head = upgradeRequest('/', []).slice(0, -2); // without the final empty line
  const value = 'v'.repeat(valueLength);
  const lines = Array.from({ length: count }, (_, index) => `X-Flood-${index}: ${value}\r\n`);
  return Buffer.from(`${head}${lines.join('')}\r\n`, 'latin1');
}

/** 10,000 short header lines (about 200 KB). */
export const TEN_THOUSAND_HEADERS = floodedRequest(10_000, 8);
/** One header line of 1 MiB. */
export const ONE_MIB_HEADER = floodedRequest(1, 1024 * 1024);

/** Sends `request` in 64 KiB writes (stopping when the server closes) and waits for the server to close. */
export async function sendHead(port: number, request: Buffer): Promise<AttackOutcome> {
  const raw = await rawConnect(port);
  let sent = 0;
  for (let offset = 0; offset < request.length && !raw.socket.destroyed && raw.socket.writable; offset += 65536) {
    const piece = request.subarray(offset, offset + 65536);
    if (!raw.socket.write(piece)) await new Promise<void>((resolve) => raw.socket.once('drain', resolve).once('close', resolve));
    sent += piece.length;
  }
  return { received: await raw.closed, sent };
}

/**
 * One binary message of `count` one-byte fragments as a client sends it (masked): a first frame with opcode
 * 2, continuation frames, the last with FIN. Byte i of the message is `i % 251`.
 */
export function oneByteFragments(count: number): Buffer {
  const frame = 7; // 2 header bytes, 4 mask bytes, 1 payload byte
  const out = Buffer.allocUnsafe(count * frame);
  const mask = randomBytes(4);
  for (let i = 0; i < count; i++) {
    const at = i * frame;
    out[at] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? 0x2 : 0x0);
    out[at + 1] = 0x80 | 1;
    mask.copy(out, at + 2);
    out[at + 6] = (i % 251) ^ mask[0]!;
  }
  return out;
}

/** The message `oneByteFragments(count)` carries. */
export function fragmentedMessage(count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, (_, i) => i % 251));
}

/** Opens a raw WebSocket (after a checked 101) to write hand-made frames on. */
export async function rawWebSocket(port: number, extra: string[] = [], host?: string): Promise<RawConnection> {
  const raw = await rawConnect(port);
  raw.socket.write(upgradeRequest('/', extra, host));
  await raw.until((bytes) => bytes.includes('\r\n\r\n'), 'the 101 answer');
  const status = raw.received().toString('latin1').split('\r\n')[0];
  if (status !== 'HTTP/1.1 101 Switching Protocols') throw new Error(`expected 101, got ${status}`);
  return raw;
}

/** The frames a server sent after its 101 answer (unmasked), as [opcode, payload] pairs. */
export function serverFrames(received: Buffer): Array<[number, Buffer]> {
  let at = received.indexOf('\r\n\r\n') + 4;
  const frames: Array<[number, Buffer]> = [];
  while (at + 2 <= received.length) {
    let length = received[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = received.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(received.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (at + header + length > received.length) break;
    frames.push([received[at]! & 0x0f, received.subarray(at + header, at + header + length)]);
    at += header + length;
  }
  return frames;
}

/** The close code of the first close frame in `frames`, or null. */
export function closeCodeOf(frames: Array<[number, Buffer]>): number | null {
  const close = frames.find(([opcode]) => opcode === 0x8);
  return close === undefined || close[1].length < 2 ? null : close[1].readUInt16BE(0);
}
