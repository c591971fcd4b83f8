import { DedupCache } from '../wire/dedup-cache.js';
import { MAX_TREE_IDS, encodeControl, graftMessage, ihaveMessage, pruneMessage } from './envelope.ts';

/** What the broadcast tree needs from the node: its links. */
export interface TreeHost {
  /** Every live neighbour. */
  neighbourIds(): string[];
  /** Browser peers are leaves: they always get broadcasts pushed and take no part in the tree. */
  isLeaf(id: string): boolean;
  /** Sends a frame to a neighbour; false when that link is not open. */
  transmit(neighbourId: string, frame: string | Buffer): boolean;
}

export interface TreeOptions {
  /** ms from the first `ihave` of a missing broadcast to the `graft` that asks for it. */
  graftAfter: number;
  /** ms `ihave` notices are collected before they go out in one message per link. */
  ihaveDelay: number;
  /** Broadcasts kept to answer `graft`s: at most this many... */
  cacheEntries: number;
  /** ...of at most this many bytes in all... */
  cacheBytes: number;
  /** ...for at most this long, ms. */
  cacheAge: number;
}

export const DEFAULT_TREE_OPTIONS: TreeOptions = {
  graftAfter: 250,
  ihaveDelay: 20,
  cacheEntries: 1000,
  cacheBytes: 32 * 1024 * 1024,
  cacheAge: 60_000,
};

/** Counts since start, for benchmarks and tests (full payloads vs notices). */
export interface TreeStats {
  /** Broadcast frames (full payloads) sent to node neighbours: pushed, and answers to grafts. */
  payloads: number;
  /** Broadcast frames sent to browser peers. */
  leafPayloads: number;
  ihaveMessages: number;
  ihaveIds: number;
  grafts: number;
  prunes: number;
  /** Broadcasts received twice (each one prunes a link). */
  duplicates: number;
}

interface Cached {
  frame: string | Buffer;
  size: number;
  at: number;
}

interface Missing {
  /** Neighbours that announced the broadcast, in order; the first one is grafted when the timer fires. */
  announcers: string[];
  timer: NodeJS.Timeout;
}

/**
 * Broadcast dissemination over a spanning tree that builds and repairs itself (Plumtree, "epidemic broadcast
 * trees", Leitão, Pereira, Rodrigues 2007). A node's first neighbour starts "eager": broadcasts are pushed to it;
 * later ones start "lazy" and become eager by grafts (below) or by delivering a new broadcast first. A
 * broadcast that arrives twice prunes the link it came over the second time (both ends then treat it as "lazy"),
 * so the eager links become a tree and a broadcast costs N-1 transmissions. Over lazy links only the ids travel
 * (`ihave`, batched); a node that hears of a broadcast it does not receive over the tree within `graftAfter`
 * asks an announcer for it (`graft`), which also makes that link eager again: the tree heals after a link or
 * node is lost. Browser peers are leaves: broadcasts are always pushed to them. The same tree carries the
 * nodes' links records (id `links/<origin>/<seq>`), which would otherwise be flooded over every link.
 */
export class BroadcastTree {
  readonly stats: TreeStats = { payloads: 0, leafPayloads: 0, ihaveMessages: 0, ihaveIds: 0, grafts: 0, prunes: 0, duplicates: 0 };
  /** Node neighbours broadcasts are not pushed to; every other neighbour is eager. */
  readonly #lazy = new Set<string>();
  /** Node neighbours seen so far (a new one starts lazy when there is an eager one already). */
  readonly #known = new Set<string>();
  readonly #seen = new DedupCache();
  readonly #cache = new Map<string, Cached>();
  #cacheBytes = 0;
  readonly #missing = new Map<string, Missing>();
  readonly #ihaves = new Map<string, string[]>();
  #ihaveTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly host: TreeHost,
    readonly options: TreeOptions = DEFAULT_TREE_OPTIONS,
  ) {}

  /** Whether this node has seen the broadcast. */
  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /**
   * A broadcast arrived from `from` (null: this node sends it). Returns false for a duplicate (not to be
   * delivered). `frame` is what to pass on (null: its TTL ran out, it goes no further); `toLeaves`: whether
   * browser peers get it too (not links records).
   */
  receive(from: string | null, id: string, frame: string | Buffer | null, now: number, toLeaves = true): boolean {
    if (!this.#seen.add(id, now)) {
      if (from !== null && !this.host.isLeaf(from)) {
        this.stats.duplicates++;
        if (!this.#lazy.has(from)) {
          this.#lazy.add(from);
          this.stats.prunes++;
          this.host.transmit(from, encodeControl(pruneMessage()));
        }
      }
      return false;
    }
    const missing = this.#missing.get(id);
    if (missing !== undefined) {
      clearTimeout(missing.timer);
      this.#missing.delete(id);
    }
    this.#meetNeighbours();
    // The link a new broadcast came over is a tree link (it may have been grafted or pruned meanwhile).
    if (from !== null) this.#lazy.delete(from);
    if (frame === null) return true;
    this.#remember(id, frame, now);
    for (const neighbour of this.host.neighbourIds()) {
      if (neighbour === from) continue;
      if (this.host.isLeaf(neighbour)) {
        if (toLeaves && this.host.transmit(neighbour, frame)) this.stats.leafPayloads++;
      } else if (this.#lazy.has(neighbour)) {
        this.#announce(neighbour, id);
      } else if (this.host.transmit(neighbour, frame)) {
        this.stats.payloads++;
      }
    }
    return true;
  }

  ihave(from: string, ids: string[]): void {
    if (this.host.isLeaf(from)) return;
    for (const id of ids) {
      if (this.#seen.has(id)) continue;
      const missing = this.#missing.get(id);
      if (missing !== undefined) {
        if (!missing.announcers.includes(from)) missing.announcers.push(from);
        continue;
      }
      this.#missing.set(id, { announcers: [from], timer: setTimeout(() => this.#graft(id), this.options.graftAfter) });
    }
  }

  /** `from` asks for broadcasts and makes the link eager. */
  graft(from: string, ids: string[]): void {
    if (this.host.isLeaf(from)) return;
    this.#lazy.delete(from);
    for (const id of ids) {
      const cached = this.#cache.get(id);
      if (cached !== undefined && this.host.transmit(from, cached.frame)) this.stats.payloads++;
    }
  }

  prune(from: string): void {
    if (!this.host.isLeaf(from)) this.#lazy.add(from);
  }

  /** A neighbour's link went down: it is no longer in the tree nor an announcer. */
  linkLost(neighbour: string): void {
    this.#lazy.delete(neighbour);
    this.#known.delete(neighbour);
    this.#ihaves.delete(neighbour);
    for (const missing of this.#missing.values()) {
      const index = missing.announcers.indexOf(neighbour);
      if (index !== -1) missing.announcers.splice(index, 1);
    }
  }

  /** Pushes broadcasts to this neighbour from now on (a leaf that has no other way to get them). */
  makeEager(neighbour: string): void {
    this.#known.add(neighbour);
    this.#lazy.delete(neighbour);
  }

  /** Node neighbours broadcasts are pushed to now. */
  eagerNeighbours(): string[] {
    this.#meetNeighbours();
    return this.host.neighbourIds().filter((id) => !this.host.isLeaf(id) && !this.#lazy.has(id));
  }

  stop(): void {
    clearTimeout(this.#ihaveTimer);
    for (const missing of this.#missing.values()) clearTimeout(missing.timer);
    this.#missing.clear();
  }

  /**
   * New node neighbours start eager only while this node has no eager neighbour (it is joining): else a mesh
   * that is forming would push every broadcast and record over every new link until duplicates prune it.
   * The tree grows instead by grafts where a lazy announcement comes first.
   */
  #meetNeighbours(): void {
    let hasEager = false;
    const fresh: string[] = [];
    for (const id of this.host.neighbourIds()) {
      if (this.host.isLeaf(id)) continue;
      if (!this.#known.has(id)) fresh.push(id);
      else if (!this.#lazy.has(id)) hasEager = true;
    }
    for (const id of fresh) {
      this.#known.add(id);
      if (hasEager) this.#lazy.add(id);
      hasEager = true;
    }
  }

  /** The broadcast did not come over the tree in time: ask the first announcer still there, then the next. */
  #graft(id: string): void {
    const missing = this.#missing.get(id);
    if (missing === undefined) return;
    const neighbours = new Set(this.host.neighbourIds());
    let announcer = missing.announcers.shift();
    while (announcer !== undefined && !neighbours.has(announcer)) announcer = missing.announcers.shift();
    if (announcer === undefined) return void this.#missing.delete(id);
    this.#lazy.delete(announcer);
    this.stats.grafts++;
    this.host.transmit(announcer, encodeControl(graftMessage([id])));
    missing.timer = setTimeout(() => this.#graft(id), this.options.graftAfter);
  }

  #announce(neighbour: string, id: string): void {
    const ids = this.#ihaves.get(neighbour);
    if (ids === undefined) this.#ihaves.set(neighbour, [id]);
    else ids.push(id);
    this.#ihaveTimer ??= setTimeout(() => this.#flushIhaves(), this.options.ihaveDelay);
  }

  #flushIhaves(): void {
    this.#ihaveTimer = undefined;
    for (const [neighbour, ids] of this.#ihaves) {
      for (let start = 0; start < ids.length; start += MAX_TREE_IDS) {
        const chunk = ids.slice(start, start + MAX_TREE_IDS);
        if (!this.host.transmit(neighbour, encodeControl(ihaveMessage(chunk)))) break;
        this.stats.ihaveMessages++;
        this.stats.ihaveIds += chunk.length;
      }
    }
    this.#ihaves.clear();
  }

  #remember(id: string, frame: string | Buffer, now: number): void {
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    this.#cache.set(id, { frame, size, at: now });
    this.#cacheBytes += size;
    for (const [oldId, cached] of this.#cache) {
      const over = this.#cache.size > this.options.cacheEntries || this.#cacheBytes > this.options.cacheBytes;
      if (!over && now - cached.at < this.options.cacheAge) break;
      this.#cache.delete(oldId);
      this.#cacheBytes -= cached.size;
    }
  }
}
