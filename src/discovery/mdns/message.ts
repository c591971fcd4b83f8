import { CLASS_ANY, CLASS_IN, CLASS_TOP_BIT, RecordType } from './constants.ts';
import type { ParsedMessage, ParsedQuestion, ParsedResource } from './contained-parser.ts';
import { OPAQUE_TYPE, type GuardedRecord } from './packet-guard.ts';
import { decodeTxt } from './txt.ts';

/** A received mDNS message: the guard's layout joined with what mdns-js's parser read. */

export interface MdnsQuestion {
  name: string;
  type: number;
  /** The "QU" bit (RFC 6762 §5.4). */
  unicastResponse: boolean;
}

export interface MdnsRecord {
  section: 'answer' | 'authority' | 'additional';
  name: string;
  type: number;
  cacheFlush: boolean;
  ttl: number;
  ptr?: string;
  srv?: { port: number; target: string };
  address?: string;
  txt?: Map<string, string | true>;
}

export interface MdnsMessage {
  id: number;
  isResponse: boolean;
  questions: MdnsQuestion[];
  records: MdnsRecord[];
}

export type AssembleResult = { ok: true; message: MdnsMessage } | { ok: false; reason: string };

function sameShape(guarded: GuardedRecord, parsed: ParsedQuestion | ParsedResource): boolean {
  const expectedType = guarded.section === 'question' || guarded.parsedByDnsJs ? guarded.type : OPAQUE_TYPE;
  if (parsed.type !== expectedType || parsed.class !== guarded.class) return false;
  return guarded.section === 'question' || (parsed as ParsedResource).ttl === guarded.ttl;
}

function recordData(guarded: GuardedRecord, parsed: ParsedResource, raw: Buffer): Partial<MdnsRecord> | null {
  switch (guarded.type) {
    case RecordType.PTR:
      return typeof parsed.data === 'string' ? { ptr: parsed.data } : null;
    case RecordType.SRV:
      return typeof parsed.port === 'number' && typeof parsed.target === 'string'
        ? { srv: { port: parsed.port, target: parsed.target } }
        : null;
    case RecordType.A:
      return typeof parsed.address === 'string' ? { address: parsed.address } : null;
    case RecordType.AAAA:
      // dns-js's AAAA reader ignores the data length (mdns-js bug 3): the guard hands it raw bytes, read here.
      return guarded.rdataLength === 16 ? { address: ipv6Text(raw.subarray(guarded.rdataOffset, guarded.rdataOffset + 16)) } : null;
    case RecordType.TXT:
      return { txt: decodeTxt(raw.subarray(guarded.rdataOffset, guarded.rdataOffset + guarded.rdataLength)) };
    default:
      return null;
  }
}

/** The usual text form of 16 address bytes (RFC 5952: lower case, longest run of zero groups as `::`). */
export function ipv6Text(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, index) => (bytes[index * 2]! << 8) | bytes[index * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && words[start + length] === 0) length++;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = (list: number[]) => list.map((word) => word.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/**
 * Joins the layout with the parser's output, refusing any disagreement between the two (a sign dns-js read
 * something other than what the guard checked). Keeps class IN (and ANY in questions); records of other types,
 * or that dns-js could not read, are left out.
 */
export function assembleMessage(
  raw: Buffer,
  layout: { id: number; isResponse: boolean; records: GuardedRecord[] },
  parsed: ParsedMessage,
): AssembleResult {
  const parsedInOrder = [...parsed.question, ...parsed.answer, ...parsed.authority, ...parsed.additional];
  if (parsedInOrder.length !== layout.records.length) return { ok: false, reason: 'parser and guard disagree on the record count' };
  const message: MdnsMessage = { id: layout.id, isResponse: layout.isResponse, questions: [], records: [] };
  for (let index = 0; index < layout.records.length; index++) {
    const guarded = layout.records[index]!;
    const entry = parsedInOrder[index]!;
    if (!sameShape(guarded, entry)) return { ok: false, reason: 'parser and guard disagree on a record' };
    const recordClass = guarded.class & ~CLASS_TOP_BIT;
    const topBit = (guarded.class & CLASS_TOP_BIT) !== 0;
    if (guarded.section === 'question') {
      if (recordClass === CLASS_IN || recordClass === CLASS_ANY) {
        message.questions.push({ name: entry.name, type: guarded.type, unicastResponse: topBit });
      }
      continue;
    }
    if (recordClass !== CLASS_IN) continue;
    const data = recordData(guarded, entry as ParsedResource, raw);
    if (!data) continue;
    message.records.push({ section: guarded.section, name: entry.name, type: guarded.type, cacheFlush: topBit, ttl: guarded.ttl, ...data });
  }
  return { ok: true, message };
}
