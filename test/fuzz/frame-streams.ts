import type { Role } from '../../src/protocol/protocol.ts';
import type { Random } from './random.ts';

const SIZES = [0, 1, 2, 5, 125, 126, 127, 128, 1000, 65535, 65536, 70000];
const TEXT_SAMPLES = ['', 'hello', 'κόσμε', '𝄞', '€', 'a'.repeat(300)].map((s) => Buffer.from(s, 'utf8'));
const BAD_UTF8 = [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xe2, 0x82]].map((b) => Buffer.from(b));

/** Builds one frame as a peer of `role` would send it (or, with `wrongMask`, as it must not). */
export function buildFrame(
  random: Random,
  opcode: number,
  payload: Buffer,
  options: { fin: boolean; rsv: number; masked: boolean; lengthForm?: 'minimal' | '16' | '64' },
): Buffer {
  const length = payload.length;
  const form = options.lengthForm ?? 'minimal';
  const lengthBytes = form === '64' || (form === 'minimal' && length >= 65536) ? 8 : form === '16' || length >= 126 ? 2 : 0;
  const header = Buffer.alloc(2 + lengthBytes + (options.masked ? 4 : 0));
  header[0] = (options.fin ? 0x80 : 0) | (options.rsv << 4) | opcode;
  header[1] = (options.masked ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length & 0xffff, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const body = Buffer.from(payload);
  if (options.masked) {
    const key = random.bytes(4);
    key.copy(header, header.length - 4);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3]!;
  }
  return Buffer.concat([header, body]);
}

function randomPayload(random: Random, opcode: number): Buffer {
  if (opcode >= 0x8) return random.bytes(random.int(random.chance(0.05) ? 140 : 126));
  if (opcode === 0x1) {
    const parts = Array.from({ length: 1 + random.int(4) }, () => random.pick(TEXT_SAMPLES));
    if (random.chance(0.1)) parts.splice(random.int(parts.length + 1), 0, random.pick(BAD_UTF8));
    return Buffer.concat(parts);
  }
  return random.bytes(random.pick(SIZES));
}

/** A stream of mostly plausible frames from the peer of `role`, with occasional rule breaking. */
export function generateStream(random: Random, role: Role): Buffer {
  const peerMasks = role === 'server';
  const frames: Buffer[] = [];
  const count = 1 + random.int(8);
  for (let i = 0; i < count; i++) {
    const roll = random.next();
    let opcode = roll < 0.35 ? 0x1 : roll < 0.6 ? 0x2 : roll < 0.7 ? 0x0 : roll < 0.8 ? 0x9 : roll < 0.88 ? 0xa : roll < 0.95 ? 0x8 : random.int(16);
    if (opcode === 0x8) {
      const code = random.pick([1000, 1001, 1002, 1005, 999, 3000, 4999, 5000]);
      const payload = random.chance(0.2) ? Buffer.alloc(random.int(2)) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), randomPayload(random, 0x1)]);
      frames.push(buildFrame(random, opcode, payload.subarray(0, 125), { fin: true, rsv: 0, masked: peerMasks }));
      continue;
    }
    if (opcode === 0x1 || opcode === 0x2) {
      const data = randomPayload(random, opcode);
      const pieces = random.chance(0.3) ? 1 + random.int(4) : 1;
      const step = Math.max(1, Math.ceil(data.length / pieces));
      for (let offset = 0, first = true; first || offset < data.length; offset += step, first = false) {
        const end = Math.min(data.length, offset + step);
        frames.push(buildFrame(random, first ? opcode : 0x0, data.subarray(offset, end), { fin: end >= data.length, rsv: 0, masked: peerMasks }));
        if (random.chance(0.2)) frames.push(buildFrame(random, 0x9, random.bytes(random.int(10)), { fin: true, rsv: 0, masked: peerMasks }));
      }
      continue;
    }
    const rsv = random.chance(0.05) ? 1 + random.int(7) : 0;
    const masked = random.chance(0.05) ? !peerMasks : peerMasks;
    const lengthForm = random.chance(0.03) ? random.pick(['16', '64'] as const) : 'minimal';
    frames.push(buildFrame(random, opcode, randomPayload(random, opcode), { fin: random.chance(0.9), rsv, masked, lengthForm }));
  }
  return Buffer.concat(frames);
}

/** Flips bits, drops, duplicates or inserts bytes. */
export function mutate(random: Random, input: Buffer): Buffer {
  const bytes = [...input];
  const edits = 1 + random.int(4);
  for (let i = 0; i < edits && bytes.length > 0; i++) {
    const at = random.int(bytes.length);
    switch (random.int(4)) {
      case 0: bytes[at] = bytes[at]! ^ (1 << random.int(8)); break;
      case 1: bytes.splice(at, 1 + random.int(4)); break;
      case 2: bytes.splice(at, 0, ...random.bytes(1 + random.int(8))); break;
      default: bytes[at] = random.int(256);
    }
  }
  return Buffer.from(bytes);
}

/** Cuts `input` into random pieces (copies, since the protocol unmasks in place). */
export function split(random: Random, input: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < input.length; ) {
    const size = random.chance(0.3) ? 1 + random.int(3) : 1 + random.int(Math.max(1, input.length));
    pieces.push(Buffer.from(input.subarray(offset, offset + size)));
    offset += size;
  }
  return pieces;
}
