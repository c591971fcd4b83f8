import { CLASS_IN, CLASS_TOP_BIT, HEADER_BYTES, MAX_MESSAGE_BYTES, RecordType } from './constants.ts';
import { ipv6Bytes } from './interfaces.ts';

/**
 * Encodes the messages this node sends (queries, announcements, answers, goodbyes).
 * Our own writer, because mdns-js bug 3: dns-js's writer splits TXT values on dots, throws on messages over
 * 512 bytes, and throws when a compression target lies past byte 255.
 */

export type RecordData =
  | { kind: 'ptr'; target: string }
  | { kind: 'srv'; port: number; target: string }
  | { kind: 'txt'; bytes: Buffer }
  | { kind: 'a'; address: string }
  | { kind: 'aaaa'; address: string };

export interface OutgoingRecord {
  name: string;
  /** Set only on unique records (RFC 6762 §10.2); never on shared PTR records. */
  cacheFlush: boolean;
  ttl: number;
  data: RecordData;
}

export interface OutgoingQuestion {
  name: string;
  type: number;
  /** The "QU" bit: ask for a unicast reply. */
  unicastResponse?: boolean;
}

export interface OutgoingMessage {
  /** 0 for multicast; the query's id for legacy unicast replies. */
  id?: number;
  response: boolean;
  questions?: OutgoingQuestion[];
  answers?: OutgoingRecord[];
  additionals?: OutgoingRecord[];
}

const TYPE_OF: Record<RecordData['kind'], number> = {
  ptr: RecordType.PTR,
  srv: RecordType.SRV,
  txt: RecordType.TXT,
  a: RecordType.A,
  aaaa: RecordType.AAAA,
};

/** Response flags: QR and AA (RFC 6762 §18.2, §18.4). */
const RESPONSE_FLAGS = 0x8400;

class MessageWriter {
  private buffer = Buffer.alloc(MAX_MESSAGE_BYTES);
  private offset = HEADER_BYTES;
  private readonly suffixes = new Map<string, number>();

  get length(): number {
    return this.offset;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw new RangeError('mDNS message would exceed 9000 bytes');
  }

  uint8(value: number): void {
    this.ensure(1);
    this.buffer.writeUInt8(value, this.offset);
    this.offset += 1;
  }

  uint16(value: number): void {
    this.ensure(2);
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
  }

  uint32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  /** Writes a dotted name, pointing at an earlier copy of its longest known suffix. */
  name(name: string): void {
    const labels = name.split('.').filter((label) => label.length > 0);
    for (let index = 0; index < labels.length; index++) {
      const suffix = labels.slice(index).join('.').toLowerCase();
      const earlier = this.suffixes.get(suffix);
      if (earlier !== undefined) {
        this.uint16(0xc000 | earlier);
        return;
      }
      if (this.offset < 0x4000) this.suffixes.set(suffix, this.offset);
      const label = Buffer.from(labels[index]!, 'utf8');
      if (label.length > 63) throw new RangeError(`DNS label ${JSON.stringify(labels[index])} is longer than 63 bytes`);
      this.uint8(label.length);
      this.bytes(label);
    }
    this.uint8(0);
  }

  question(question: OutgoingQuestion): void {
    this.name(question.name);
    this.uint16(question.type);
    this.uint16(CLASS_IN | (question.unicastResponse ? CLASS_TOP_BIT : 0));
  }

  record(record: OutgoingRecord): void {
    this.name(record.name);
    this.uint16(TYPE_OF[record.data.kind]);
    this.uint16(CLASS_IN | (record.cacheFlush ? CLASS_TOP_BIT : 0));
    this.uint32(record.ttl);
    const lengthAt = this.offset;
    this.uint16(0);
    const data = record.data;
    switch (data.kind) {
      case 'ptr':
        this.name(data.target);
        break;
      case 'srv':
        this.uint16(0); // priority
        this.uint16(0); // weight
        this.uint16(data.port);
        this.name(data.target);
        break;
      case 'txt':
        this.bytes(data.bytes);
        break;
      case 'a':
        this.bytes(ipv4Bytes(data.address));
        break;
      case 'aaaa':
        this.bytes(ipv6RecordBytes(data.address));
        break;
    }
    this.buffer.writeUInt16BE(this.offset - lengthAt - 2, lengthAt);
  }

  finish(id: number, flags: number, counts: [number, number, number, number]): Buffer {
    this.buffer.writeUInt16BE(id, 0);
    this.buffer.writeUInt16BE(flags, 2);
    counts.forEach((count, index) => this.buffer.writeUInt16BE(count, 4 + index * 2));
    return Buffer.from(this.buffer.subarray(0, this.offset));
  }
}

function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new RangeError(`not an IPv4 address: ${address}`);
  }
  return Uint8Array.from(parts);
}

function ipv6RecordBytes(address: string): Uint8Array {
  const bytes = ipv6Bytes(address);
  if (bytes === null) throw new RangeError(`not an IPv6 address: ${address}`);
  return Uint8Array.from(bytes);
}

/** Encodes a message; throws RangeError for names, labels or sizes DNS cannot carry. */
export function encodeMessage(message: OutgoingMessage): Buffer {
  const writer = new MessageWriter();
  const questions = message.questions ?? [];
  const answers = message.answers ?? [];
  const additionals = message.additionals ?? [];
  for (const question of questions) writer.question(question);
  for (const record of answers) writer.record(record);
  for (const record of additionals) writer.record(record);
  const flags = message.response ? RESPONSE_FLAGS : 0;
  return writer.finish(message.id ?? 0, flags, [questions.length, answers.length, 0, additionals.length]);
}
