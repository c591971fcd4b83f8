import { applyLinksDelta } from './envelope.ts';
import type { LinkEntry, LinksMessage, PeerKind } from './envelope.ts';

export interface Route {
  /** The neighbour to hand the message to. */
  via: string;
  /** Links on the way: 1 for a neighbour. */
  hops: number;
  name: string;
  kind: PeerKind;
}

/** Most nodes whose `links` record a node keeps (a mesh larger than this is not fully routed). */
export const MAX_TOPOLOGY_RECORDS = 1024;
/** Most link entries over all kept records (about 10 MB at the longest names); deltas kept count too. */
export const MAX_TOPOLOGY_ENTRIES = 65_536;
/** Most records kept per origin: its last full record and the deltas since (an origin issues a full one every 3). */
export const MAX_CHAIN = 16;
/** Deltas held per origin while their base is missing (one may overtake another on the way)... */
const MAX_WAITING = 4;
/** ...for at most this many ms (a pull gets the base well within it), for at most `maxRecords` origins. */
export const WAITING_MS = 10_000;

/** What `accept` did with a record: stored (`fresh`), not newer (`stale`), or a delta whose base is missing (`gap`). */
export type Accepted = 'fresh' | 'stale' | 'gap';

interface Known {
  /** The whole list as of the newest record (a full record, or the last full one with the deltas since applied). */
  state: LinksMessage;
  /** The signed records that make `state`: the last full one, then the deltas since, oldest first. */
  chain: LinksMessage[];
  /** Entries over the chain (links and gone). */
  entries: number;
}

/**
 * What this node knows of the mesh beyond its neighbours: the newest `links` record of every other node
 * (link-state flooding: a record newer than the stored one is kept and passed on, an older one is dropped).
 */
export class Topology {
  readonly #records = new Map<string, Known>();
  /** Deltas whose base has not arrived yet, per origin (applied when it does), and since when. */
  readonly #waiting = new Map<string, LinksMessage[]>();
  readonly #waitingSince = new Map<string, number>();
  /** Link entries over all kept records. */
  #entries = 0;
  /** Since when each origin with a record has been unreachable. */
  readonly #unreachableSince = new Map<string, number>();
  /**
   * Nodes that said they are going away (close 1001 from the node itself, over its link), with the seq of their
   * newest record then (-1: none held). Others' records list their links to such a node until those nodes publish
   * again (at their own pace: up to seconds), so it is not reached through others until a newer record of its own
   * comes (it restarted); as a neighbour again it is reached directly.
   */
  readonly #departed = new Map<string, number>();

  /**
   * `maxRecords` nodes and `maxEntries` links in all are remembered. When a new record does not fit, the
   * records of nodes that `isReachable` denies are dropped first; if it still does not fit, it is refused.
   */
  constructor(
    readonly selfId: string,
    readonly isReachable: (id: string) => boolean = () => true,
    readonly maxRecords = MAX_TOPOLOGY_RECORDS,
    readonly maxEntries = MAX_TOPOLOGY_ENTRIES,
    /** This node's neighbours now: when given, room is made by what is unreachable now (not by `isReachable`). */
    readonly neighbours?: () => Iterable<LinkEntry>,
  ) {}

  /** `id`, a neighbour, said it is going away (see `#departed`). */
  departed(id: string): void {
    this.#departed.delete(id);
    this.#departed.set(id, this.#records.get(id)?.state.seq ?? -1);
    if (this.#departed.size > this.maxRecords) this.#departed.delete(this.#departed.keys().next().value!);
  }

  /** Whether `record` would replace what is known of its origin (only then is it worth verifying). */
  isNewer(record: LinksMessage): boolean {
    const known = this.#records.get(record.origin);
    return known === undefined || known.state.seq < record.seq;
  }

  /**
   * Stores a record about another node if it is newer than the one known: `fresh` (flood it on), `stale`, or
   * `gap`: a delta whose base is not held (kept aside a while: it is applied if its base arrives; see `pullFrom`).
   */
  accept(record: LinksMessage, now = Date.now()): Accepted {
    if (record.origin === this.selfId || !this.isNewer(record)) return 'stale';
    // Another copy of a waiting delta (not verified again): the one kept is applied when its base comes.
    if (this.isWaiting(record)) return 'gap';
    const outcome = this.#apply(record);
    if (outcome === 'gap') {
      if (!this.#waiting.has(record.origin) && this.#waiting.size >= this.maxRecords) return 'stale';
      if (!this.#waiting.has(record.origin)) this.#waitingSince.set(record.origin, now);
      const waiting = this.#waiting.get(record.origin) ?? [];
      if (!waiting.some((other) => other.seq === record.seq)) waiting.push(record);
      waiting.sort((a, b) => a.seq - b.seq);
      this.#waiting.set(record.origin, waiting.slice(-MAX_WAITING));
      return 'gap';
    }
    if (outcome === 'fresh') this.#applyWaiting(record.origin);
    return outcome;
  }

  /** The deltas of `origin` waiting for a base: applied in order now that a record of it was stored. */
  #applyWaiting(origin: string): void {
    const waiting = this.#waiting.get(origin);
    if (waiting === undefined) return;
    for (const record of waiting) if (this.isNewer(record)) this.#apply(record);
    const left = waiting.filter((record) => this.isNewer(record));
    if (left.length > 0) this.#waiting.set(origin, left);
    else {
      this.#waiting.delete(origin);
      this.#waitingSince.delete(origin);
    }
  }

  /** Whether this record (origin and seq) is a delta already waiting for its base (the copy kept was verified). */
  isWaiting(record: LinksMessage): boolean {
    return this.#waiting.get(record.origin)?.some((other) => other.seq === record.seq) ?? false;
  }

  /** The newest seq of `origin` a waiting delta needs (null: nothing waits), to pull the records since. */
  missing(origin: string): number | null {
    const waiting = this.#waiting.get(origin)?.filter((record) => this.isNewer(record));
    return waiting === undefined || waiting.length === 0 ? null : waiting[waiting.length - 1]!.seq;
  }

  #apply(record: LinksMessage): Accepted {
    const known = this.#records.get(record.origin);
    let next: Known;
    const size = recordEntries(record);
    if (record.base === undefined) {
      next = { state: record, chain: [record], entries: size };
    } else {
      if (known === undefined || known.state.seq !== record.base || known.state.boot !== record.boot) return 'gap';
      // An origin sends a full record every few deltas; a longer chain is refused (it would only grow).
      if (known.chain.length >= MAX_CHAIN) return 'stale';
      const { base: _base, gone: _gone, key: _key, sig: _sig, ...fields } = record;
      next = { state: { ...fields, links: applyLinksDelta(known.state.links, record) }, chain: [...known.chain, record], entries: known.entries + size };
    }
    if (!this.#fits(record.origin, next)) {
      this.#dropUnreachable();
      if (!this.#fits(record.origin, next)) return 'stale';
    }
    this.#entries += next.entries - (this.#records.get(record.origin)?.entries ?? 0);
    this.#records.set(record.origin, next);
    if ((this.#departed.get(record.origin) ?? Infinity) < record.seq) this.#departed.delete(record.origin);
    return 'fresh';
  }

  #fits(origin: string, next: Known): boolean {
    const known = this.#records.get(origin);
    if (known === undefined && this.#records.size >= this.maxRecords) return false;
    return this.#entries - (known?.entries ?? 0) + next.entries <= this.maxEntries;
  }

  #dropUnreachable(): void {
    const reachable = this.neighbours === undefined ? null : this.routes(this.neighbours());
    for (const origin of this.#records.keys()) {
      if (reachable === null ? this.isReachable(origin) : reachable.has(origin)) continue;
      this.#forget(origin);
    }
  }

  #forget(origin: string): void {
    this.#entries -= this.#records.get(origin)?.entries ?? 0;
    this.#records.delete(origin);
    this.#waiting.delete(origin);
    this.#waitingSince.delete(origin);
    this.#unreachableSince.delete(origin);
  }

  /**
   * Drops the records of nodes that have been unreachable for `maxAge` ms (stopped nodes are not kept forever), and
   * deltas that waited for their base longer than `WAITING_MS`.
   */
  expire(now: number, maxAge: number): void {
    for (const origin of this.#records.keys()) {
      if (this.isReachable(origin)) {
        this.#unreachableSince.delete(origin);
        continue;
      }
      const since = this.#unreachableSince.get(origin);
      if (since === undefined) this.#unreachableSince.set(origin, now);
      else if (now - since >= maxAge) this.#forget(origin);
    }
    for (const [origin, since] of this.#waitingSince) {
      if (now - since < WAITING_MS) continue;
      this.#waiting.delete(origin);
      this.#waitingSince.delete(origin);
    }
  }

  /** The newest whole list of every other node (deltas applied; not signed as such: see `chain`). */
  records(): LinksMessage[] {
    return [...this.#records.values()].map((known) => known.state);
  }

  record(id: string): LinksMessage | undefined {
    return this.#records.get(id)?.state;
  }

  /**
   * The signed records to send a node that holds record `seq` of `origin` (null: none): the deltas after it when
   * it is one of the chain's, else the whole chain (the full record and the deltas since).
   */
  chain(origin: string, seq: number | null): LinksMessage[] {
    return chainAfter(this.#records.get(origin)?.chain ?? [], seq);
  }

  /** The node links a node's record lists (null: no record of it). */
  degreeOf(id: string): number | null {
    const record = this.#records.get(id)?.state;
    return record === undefined ? null : record.links.filter((link) => link.kind === 'node').length;
  }

  /** Shortest routes (breadth first) from this node to every node and browser it can reach. */
  routes(neighbours: Iterable<LinkEntry>): Map<string, Route> {
    const routes = new Map<string, Route>();
    const queue: string[] = [];
    for (const neighbour of neighbours) {
      routes.set(neighbour.id, { via: neighbour.id, hops: 1, name: neighbour.name, kind: neighbour.kind });
      queue.push(neighbour.id);
    }
    for (let index = 0; index < queue.length; index++) {
      const current = routes.get(queue[index])!;
      for (const link of this.#records.get(queue[index])?.state.links ?? []) {
        if (link.id === this.selfId || routes.has(link.id) || this.#departed.has(link.id)) continue;
        routes.set(link.id, { via: current.via, hops: current.hops + 1, name: link.name, kind: link.kind });
        queue.push(link.id);
      }
    }
    return routes;
  }
}

function recordEntries(record: LinksMessage): number {
  return record.links.length + (record.gone?.length ?? 0);
}

/** The records of a chain after record `seq` (all of them when `seq` is null or not one of its records). */
export function chainAfter(chain: LinksMessage[], seq: number | null): LinksMessage[] {
  const held = seq === null ? -1 : chain.findIndex((record) => record.seq === seq);
  return held === -1 ? chain : chain.slice(held + 1);
}
