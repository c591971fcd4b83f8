import { HEADER_BYTES, MAX_MESSAGE_BYTES, RecordType } from './constants.ts';

/**
 * Validates a received DNS message before mdns-js's parser (dns-js) sees it, and prepares the copy that
 * parser may read. Sans-I/O: bytes in, a verdict out.
 *
 * Accepted messages are structurally sound: every name ends inside the message, every compression pointer
 * points strictly backwards (so no name can loop), lengths and counts fit, and nothing trails the last record.
 * Records whose data dns-js cannot read safely are retyped in the parser's copy to an opaque private type,
 * which dns-js keeps as raw bytes; their real type stays in `records` and their data is read here.
 */

export type Section = 'question' | 'answer' | 'authority' | 'additional';

export interface GuardedRecord {
  section: Section;
  /** The record's real type (the parser's copy may carry OPAQUE_TYPE instead). */
  type: number;
  /** Class including its top bit (cache-flush / unicast-response). */
  class: number;
  /** 0 for questions. */
  ttl: number;
  rdataOffset: number;
  rdataLength: number;
  /** true when dns-js decodes this record's data; false when it only gets raw bytes. */
  parsedByDnsJs: boolean;
}

export type GuardResult =
  | { ok: true; id: number; isResponse: boolean; records: GuardedRecord[]; parserCopy: Buffer }
  | { ok: false; reason: string };

/** A private-use type (RFC 6895) that dns-js does not know and so returns as raw bytes. */
export const OPAQUE_TYPE = 0xff00;

const MAX_NAME_BYTES = 255;
const MIN_QUESTION_BYTES = 5;
const MIN_RECORD_BYTES = 11;

class Rejection extends Error {}

function reject(reason: string): never {
  throw new Rejection(reason);
}

/**
 * Skips the name starting at `start` and returns the offset just after it (in place, not following pointers).
 * mdns-js bug 1: dns-js follows compression pointers without a limit, so a pointer to itself loops forever.
 */
export function skipName(message: Buffer, start: number): number {
  let position = start;
  let resumeAt = -1;
  let pointerLimit = start;
  let nameBytes = 0;
  for (;;) {
    if (position >= message.length) reject('a name runs past the end of the message');
    const length = message[position]!;
    if (length === 0) {
      nameBytes += 1;
      if (nameBytes > MAX_NAME_BYTES) reject('a name is longer than 255 bytes');
      return resumeAt >= 0 ? resumeAt : position + 1;
    }
    const labelType = length & 0xc0;
    if (labelType === 0xc0) {
      if (position + 1 >= message.length) reject('a compression pointer is cut off');
      const target = ((length & 0x3f) << 8) | message[position + 1]!;
      if (resumeAt < 0) resumeAt = position + 2;
      if (target >= pointerLimit) reject('a compression pointer does not point backwards');
      if (target < HEADER_BYTES) reject('a compression pointer points into the header');
      pointerLimit = target;
      position = target;
      continue;
    }
    // Lengths 64-191 carry the reserved label types 01 and 10, so a plain label is at most 63 bytes.
    if (labelType !== 0) reject('a name uses a reserved label type');
    nameBytes += 1 + length;
    if (nameBytes > MAX_NAME_BYTES) reject('a name is longer than 255 bytes');
    if (position + 1 + length > message.length) reject('a label runs past the end of the message');
    position += 1 + length;
  }
}

/** Whether dns-js can decode this record's data without reading outside it. */
function dnsJsCanRead(message: Buffer, type: number, rdataOffset: number, rdataLength: number): boolean {
  const end = rdataOffset + rdataLength;
  try {
    switch (type) {
      case RecordType.A:
        return rdataLength === 4;
      case RecordType.PTR:
        return skipName(message.subarray(0, end), rdataOffset) === end;
      case RecordType.SRV:
        return rdataLength > 6 && skipName(message.subarray(0, end), rdataOffset + 6) === end;
      default:
        // mdns-js bug 3: dns-js reads TXT strings as DNS names (192+ byte strings become pointers, an empty
        // TXT reads into the next record), and its OPT/MX/AAAA/SOA/TLSA readers ignore the data length.
        return false;
    }
  } catch (error) {
    if (error instanceof Rejection) return false;
    throw error;
  }
}

function readSections(message: Buffer): { records: GuardedRecord[]; end: number } {
  const counts: Array<[Section, number]> = [
    ['question', message.readUInt16BE(4)],
    ['answer', message.readUInt16BE(6)],
    ['authority', message.readUInt16BE(8)],
    ['additional', message.readUInt16BE(10)],
  ];
  const questionCount = counts[0]![1];
  const recordCount = counts[1]![1] + counts[2]![1] + counts[3]![1];
  if (questionCount * MIN_QUESTION_BYTES + recordCount * MIN_RECORD_BYTES > message.length - HEADER_BYTES) {
    reject('the section counts promise more records than the message holds');
  }
  const records: GuardedRecord[] = [];
  let offset = HEADER_BYTES;
  for (const [section, count] of counts) {
    for (let index = 0; index < count; index++) {
      offset = skipName(message, offset);
      const fixed = section === 'question' ? 4 : 10;
      if (offset + fixed > message.length) reject(`a record in the ${section} section is cut off`);
      const type = message.readUInt16BE(offset);
      const recordClass = message.readUInt16BE(offset + 2);
      // dns-js throws on these (DNSRecord constructor); no valid mDNS record has them.
      if (type === 0) reject('a record has type 0');
      if ((recordClass & 0x7fff) === 0) reject('a record has class 0');
      if (section === 'question') {
        records.push({ section, type, class: recordClass, ttl: 0, rdataOffset: offset + 4, rdataLength: 0, parsedByDnsJs: true });
        offset += 4;
        continue;
      }
      const ttl = message.readUInt32BE(offset + 4);
      const rdataLength = message.readUInt16BE(offset + 8);
      const rdataOffset = offset + 10;
      if (rdataOffset + rdataLength > message.length) reject(`the data of a record in the ${section} section runs past the end`);
      const parsedByDnsJs = dnsJsCanRead(message, type, rdataOffset, rdataLength);
      records.push({ section, type, class: recordClass, ttl, rdataOffset, rdataLength, parsedByDnsJs });
      offset = rdataOffset + rdataLength;
    }
  }
  return { records, end: offset };
}

/** Checks a received message; on success returns its record layout and the copy dns-js may parse. */
export function guardPacket(message: Buffer): GuardResult {
  if (message.length < HEADER_BYTES) return { ok: false, reason: 'shorter than a DNS header' };
  if (message.length > MAX_MESSAGE_BYTES) return { ok: false, reason: 'longer than 9000 bytes (RFC 6762 §17)' };
  const flags = message.readUInt16BE(2);
  // RFC 6762 §18.3 and §18.11: messages with a non-zero opcode or rcode are silently ignored.
  if ((flags & 0x7800) !== 0) return { ok: false, reason: 'non-zero opcode' };
  if ((flags & 0x000f) !== 0) return { ok: false, reason: 'non-zero response code' };
  let layout: { records: GuardedRecord[]; end: number };
  try {
    layout = readSections(message);
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, reason: error.message };
    throw error;
  }
  // dns-js parses trailing bytes as one more message, recursively.
  if (layout.end !== message.length) return { ok: false, reason: 'bytes trail the last record' };
  const parserCopy = Buffer.from(message);
  for (const record of layout.records) {
    if (record.section !== 'question' && !record.parsedByDnsJs) {
      parserCopy.writeUInt16BE(OPAQUE_TYPE, record.rdataOffset - 10);
    }
  }
  return { ok: true, id: message.readUInt16BE(0), isResponse: (flags & 0x8000) !== 0, records: layout.records, parserCopy };
}
