import type { MdnsRecord } from './message.ts';
import { RecordType } from './constants.ts';

/**
 * The records discovery has learnt, each until its TTL runs out (mdns-js bug 5: its browser keeps everything
 * forever). Goodbyes (TTL 0) and cache-flush follow RFC 6762 §10.1 and §10.2: the record goes one second later.
 */

export interface CachedRecord {
  record: MdnsRecord;
  /** Source address of the message that carried it. */
  source: string;
  /** The interface it came in on: a record seen on two interfaces is kept once per interface. */
  link: string;
  receivedAt: number;
  expiresAt: number;
  /** When to ask for it again (RFC 6762 §5.2: at 80% and 90% of its lifetime); Infinity when done. */
  refreshAt: number;
}

/** A record's data as a key, so the same name and type with other data is another record. */
function dataKey(record: MdnsRecord): string {
  switch (record.type) {
    case RecordType.PTR:
      return record.ptr!.toLowerCase();
    case RecordType.SRV:
      return `${record.srv!.port} ${record.srv!.target.toLowerCase()}`;
    case RecordType.A:
    case RecordType.AAAA:
      return record.address!;
    case RecordType.TXT:
      return JSON.stringify([...record.txt!]);
    default:
      return '';
  }
}

function nameKey(name: string, type: number): string {
  return `${name.toLowerCase()}|${type}`;
}

/** Longest lifetime accepted, so a hostile TTL cannot pin a record for days. */
const MAX_TTL_SECONDS = 4500;
const GOODBYE_GRACE_MS = 1000;

export class RecordCache {
  private readonly byName = new Map<string, Map<string, CachedRecord>>();
  private count = 0;

  constructor(private readonly maxRecords = 2048) {}

  get size(): number {
    return this.count;
  }

  /**
   * Adds or refreshes a record that came in on interface `link`; a TTL of 0 is a goodbye. Goodbyes and
   * cache-flush act on that interface's copies only (RFC 6762 §10.2). Returns false when a full cache refused it.
   */
  add(record: MdnsRecord, source: string, link: string, now: number): boolean {
    const key = nameKey(record.name, record.type);
    let group = this.byName.get(key);
    const data = `${dataKey(record)}@${link}`;
    const existing = group?.get(data);
    if (record.ttl === 0) {
      if (existing) {
        existing.expiresAt = Math.min(existing.expiresAt, now + GOODBYE_GRACE_MS);
        existing.refreshAt = Infinity;
      }
      return true;
    }
    if (record.cacheFlush && group) {
      for (const [otherData, other] of group) {
        if (otherData !== data && other.link === link && now - other.receivedAt > GOODBYE_GRACE_MS) {
          other.expiresAt = Math.min(other.expiresAt, now + GOODBYE_GRACE_MS);
          other.refreshAt = Infinity;
        }
      }
    }
    if (!existing && this.count >= this.maxRecords) return false;
    const lifetime = Math.min(record.ttl, MAX_TTL_SECONDS) * 1000;
    const entry: CachedRecord = { record, source, link, receivedAt: now, expiresAt: now + lifetime, refreshAt: now + lifetime * 0.8 };
    if (!group) {
      group = new Map();
      this.byName.set(key, group);
    }
    if (!existing) this.count++;
    group.set(data, entry);
    return true;
  }

  /** Live records of a name and type, newest first. */
  find(name: string, type: number): CachedRecord[] {
    const group = this.byName.get(nameKey(name, type));
    if (!group) return [];
    return [...group.values()].sort((a, b) => b.receivedAt - a.receivedAt);
  }

  /** Every live record of a type. */
  *all(type: number): Iterable<CachedRecord> {
    for (const group of this.byName.values()) {
      for (const entry of group.values()) if (entry.record.type === type) yield entry;
    }
  }

  /** Drops the records for which `predicate` holds (e.g. those of an interface that went away). */
  drop(predicate: (entry: CachedRecord) => boolean): void {
    for (const [key, group] of this.byName) {
      for (const [data, entry] of group) {
        if (!predicate(entry)) continue;
        group.delete(data);
        this.count--;
      }
      if (group.size === 0) this.byName.delete(key);
    }
  }

  /** Drops expired records; returns whether any went. */
  expire(now: number): boolean {
    const before = this.count;
    this.drop((entry) => entry.expiresAt <= now);
    return this.count !== before;
  }

  /** Records due for a refresh query; each is asked for at 80% and again at 90% of its lifetime. */
  takeDueRefreshes(now: number): CachedRecord[] {
    const due: CachedRecord[] = [];
    for (const group of this.byName.values()) {
      for (const entry of group.values()) {
        if (entry.refreshAt > now) continue;
        due.push(entry);
        const lifetime = entry.expiresAt - entry.receivedAt;
        const second = entry.receivedAt + lifetime * 0.9;
        entry.refreshAt = second > now ? second : Infinity;
      }
    }
    return due;
  }

  /** The next moment something expires or is due for refresh, or undefined for an empty cache. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const group of this.byName.values()) {
      for (const entry of group.values()) {
        const moment = Math.min(entry.expiresAt, entry.refreshAt);
        if (next === undefined || moment < next) next = moment;
      }
    }
    return next;
  }

  clear(): void {
    this.byName.clear();
    this.count = 0;
  }
}
