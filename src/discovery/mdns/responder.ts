import {
  HOST_TTL,
  LEGACY_UNICAST_TTL,
  OTHER_TTL,
  RecordType,
  SERVICE_ENUMERATION,
  SERVICE_TYPE,
} from './constants.ts';
import { isIPv4 } from 'node:net';
import { withoutZone } from './interfaces.ts';
import type { MdnsQuestion, MdnsRecord } from './message.ts';
import type { OutgoingMessage, OutgoingRecord } from './packet-writer.ts';

/**
 * What this node says about itself and when. Ours, not mdns-js's Advertisement, because of mdns-js bug 4
 * (its stop() closes the shared sockets before the goodbye leaves, and drops the wrong services) and bug 6
 * (cache-flush on the shared PTR record, questions asking for a unicast reply ignored).
 */

export interface OwnService {
  /** Full instance name, e.g. `alice (1a2b3c4d)._wsmesh._tcp.local`. */
  instance: string;
  /** SRV target, unique per node, e.g. `wsmesh-1a2b3c4d5e6f.local`. */
  host: string;
  port: number;
  txt: Buffer;
  addresses: readonly string[];
}

/** All records of the service. `ttlOf` lets goodbyes (0) and legacy unicast replies (≤ 10 s) override TTLs. */
export function ownRecords(own: OwnService, ttlOf: (normal: number) => number = (normal) => normal) {
  const pointer: OutgoingRecord = { name: SERVICE_TYPE, cacheFlush: false, ttl: ttlOf(OTHER_TTL), data: { kind: 'ptr', target: own.instance } };
  const service: OutgoingRecord = {
    name: own.instance,
    cacheFlush: true,
    ttl: ttlOf(HOST_TTL),
    data: { kind: 'srv', port: own.port, target: own.host },
  };
  const text: OutgoingRecord = { name: own.instance, cacheFlush: true, ttl: ttlOf(OTHER_TTL), data: { kind: 'txt', bytes: own.txt } };
  const hostAddresses: OutgoingRecord[] = own.addresses.map((address) => ({
    name: own.host,
    cacheFlush: true,
    ttl: ttlOf(HOST_TTL),
    data: isIPv4(address) ? { kind: 'a', address } : { kind: 'aaaa', address: withoutZone(address) },
  }));
  const enumeration: OutgoingRecord = {
    name: SERVICE_ENUMERATION,
    cacheFlush: false,
    ttl: ttlOf(OTHER_TTL),
    data: { kind: 'ptr', target: SERVICE_TYPE },
  };
  return { pointer, service, text, hostAddresses, enumeration };
}

/** An unsolicited response with every record (RFC 6762 §8.3); with `ttl` 0 it is the goodbye (§10.1). */
export function announcement(own: OwnService, ttl?: number): OutgoingMessage {
  const records = ownRecords(own, ttl === undefined ? undefined : () => ttl);
  return {
    response: true,
    answers: [records.pointer, records.service, records.text],
    additionals: records.hostAddresses,
  };
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** RFC 6762 §7.1: an answer the querier already holds with at least half its TTL is not repeated. */
function knownToQuerier(record: OutgoingRecord, knownAnswers: readonly MdnsRecord[]): boolean {
  return knownAnswers.some((known) => {
    if (!same(known.name, record.name) || known.ttl * 2 < record.ttl) return false;
    const data = record.data;
    if (data.kind === 'ptr') return known.type === RecordType.PTR && same(known.ptr ?? '', data.target);
    if (data.kind === 'srv') return known.type === RecordType.SRV && known.srv?.port === data.port && same(known.srv.target, data.target);
    if (data.kind === 'a') return known.type === RecordType.A && known.address === data.address;
    if (data.kind === 'aaaa') return known.type === RecordType.AAAA && withoutZone(known.address ?? '') === data.address;
    return known.type === RecordType.TXT;
  });
}

export interface Answer {
  answers: OutgoingRecord[];
  additionals: OutgoingRecord[];
  /** Whether a shared record (PTR) is among the answers: RFC 6762 §6 then wants a 20-120 ms delay. */
  shared: boolean;
}

/** The records that answer `questions` about this node, minus the querier's known answers. */
export function answerQuestions(questions: readonly MdnsQuestion[], knownAnswers: readonly MdnsRecord[], own: OwnService): Answer {
  const records = ownRecords(own);
  const answers = new Set<OutgoingRecord>();
  const additionals = new Set<OutgoingRecord>();
  let shared = false;
  const wants = (question: MdnsQuestion, type: number) => question.type === type || question.type === RecordType.ANY;
  for (const question of questions) {
    if (same(question.name, SERVICE_TYPE) && wants(question, RecordType.PTR)) {
      answers.add(records.pointer);
      shared = true;
      additionals.add(records.service).add(records.text);
      for (const record of records.hostAddresses) additionals.add(record);
    } else if (same(question.name, SERVICE_ENUMERATION) && wants(question, RecordType.PTR)) {
      answers.add(records.enumeration);
      shared = true;
    } else if (same(question.name, own.instance)) {
      if (wants(question, RecordType.SRV)) answers.add(records.service);
      if (wants(question, RecordType.TXT)) answers.add(records.text);
      for (const record of records.hostAddresses) additionals.add(record);
    } else if (same(question.name, own.host)) {
      // RFC 6762 §6.2: the other family's addresses go along as additional records.
      for (const record of records.hostAddresses) {
        const asked = wants(question, record.data.kind === 'a' ? RecordType.A : RecordType.AAAA);
        (asked ? answers : additionals).add(record);
      }
    }
  }
  const kept = [...answers].filter((record) => !knownToQuerier(record, knownAnswers));
  const extra = [...additionals].filter((record) => !answers.has(record));
  return { answers: kept, additionals: kept.length > 0 ? extra : [], shared: shared && kept.some((r) => !r.cacheFlush) };
}

/**
 * RFC 6762 §6.7: a query from a port other than 5353 is a legacy one-shot query; the reply goes back by
 * unicast with the query's id, its questions, no cache-flush bits, and TTLs of at most 10 s.
 */
export function legacyUnicastReply(id: number, questions: readonly MdnsQuestion[], answer: Answer): OutgoingMessage {
  const legacy = (record: OutgoingRecord): OutgoingRecord => ({
    ...record,
    cacheFlush: false,
    ttl: Math.min(record.ttl, LEGACY_UNICAST_TTL),
  });
  return {
    id,
    response: true,
    questions: questions.map((question) => ({ name: question.name, type: question.type })),
    answers: answer.answers.map(legacy),
    additionals: answer.additionals.map(legacy),
  };
}
