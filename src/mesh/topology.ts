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
/** Most link entries over all kept records (about 10 MB at the longest names). */
export const MAX_TOPOLOGY_ENTRIES = 65_536;

/**
 * What this node knows of the mesh beyond its neighbours: the newest `links` record of every other node
 * (link-state flooding: a record newer than the stored one is kept and passed on, an older one is dropped).
 */
export class Topology {
  readonly #records = new Map<string, LinksMessage>();
  /** Link entries over all records. */
  #entries = 0;
  /** Since when each origin with a record has been unreachable. */
  readonly #unreachableSince = new Map<string, number>();

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

  /** Whether `record` would replace what is known of its origin (only then is it worth verifying). */
  isNewer(record: LinksMessage): boolean {
    const known = this.#records.get(record.origin);
    return known === undefined || known.seq < record.seq;
  }

  /** Stores a record about another node if it is newer than the one known; true when it should be flooded on. */
  accept(record: LinksMessage): boolean {
    if (record.origin === this.selfId) return false;
    const known = this.#records.get(record.origin);
    if (known !== undefined && known.seq >= record.seq) return false;
    if (!this.#fits(record)) {
      this.#dropUnreachable();
      if (!this.#fits(record)) return false;
    }
    this.#entries += record.links.length - (this.#records.get(record.origin)?.links.length ?? 0);
    this.#records.set(record.origin, record);
    return true;
  }

  #fits(record: LinksMessage): boolean {
    const known = this.#records.get(record.origin);
    if (known === undefined && this.#records.size >= this.maxRecords) return false;
    return this.#entries - (known?.links.length ?? 0) + record.links.length <= this.maxEntries;
  }

  #dropUnreachable(): void {
    const reachable = this.neighbours === undefined ? null : this.routes(this.neighbours());
    for (const [origin, record] of this.#records) {
      if (reachable === null ? this.isReachable(origin) : reachable.has(origin)) continue;
      this.#records.delete(origin);
      this.#unreachableSince.delete(origin);
      this.#entries -= record.links.length;
    }
  }

  /** Drops the records of nodes that have been unreachable for `maxAge` ms (stopped nodes are not kept forever). */
  expire(now: number, maxAge: number): void {
    for (const [origin, record] of this.#records) {
      if (this.isReachable(origin)) {
        this.#unreachableSince.delete(origin);
        continue;
      }
      const since = this.#unreachableSince.get(origin);
      if (since === undefined) this.#unreachableSince.set(origin, now);
      else if (now - since >= maxAge) {
        this.#records.delete(origin);
        this.#unreachableSince.delete(origin);
        this.#entries -= record.links.length;
      }
    }
  }

  records(): LinksMessage[] {
    return [...this.#records.values()];
  }

  record(id: string): LinksMessage | undefined {
    return this.#records.get(id);
  }

  /** The node links a node's record lists (null: no record of it). */
  degreeOf(id: string): number | null {
    const record = this.#records.get(id);
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
      for (const link of this.#records.get(queue[index])?.links ?? []) {
        if (link.id === this.selfId || routes.has(link.id)) continue;
        routes.set(link.id, { via: current.via, hops: current.hops + 1, name: link.name, kind: link.kind });
        queue.push(link.id);
      }
    }
    return routes;
  }
}
