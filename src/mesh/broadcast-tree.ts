import { DedupCache } from '../wire/dedup-cache.js';
import { MAX_TREE_IDS, encodeControl, graftMessage, ihaveMessage, pruneMessage } from './envelope.ts';
import { MeshView } from './mesh-view.ts';
import type { Plan } from './mesh-view.ts';
import { RecordForwarding } from './record-reach.ts';
import type { RecordReach } from './record-reach.ts';
import { LANE_ESTABLISHED, turnBudget } from '../transport/turn-budget.ts';

/** What the broadcast tree needs from the node: its links. */
export interface TreeHost {
  readonly selfId: string;
  /** Every live neighbour. */
  neighbourIds(): string[];
  /** Browser peers are leaves: they always get broadcasts pushed and take no part in the tree. */
  isLeaf(id: string): boolean;
  /** Sends a frame to a neighbour; false when that link is not open. */
  transmit(neighbourId: string, frame: string | Buffer): boolean;
  /**
   * The nodes a node's links record lists (this node: its last published record); undefined when no record of
   * it is held; the same array while the record is the same. Without it, every broadcast travels the Plumtree
   * eager/lazy links alone.
   */
  linksOf?(id: string): readonly string[] | undefined;
  /** The node whose links record lists this browser peer (undefined: none): its broadcasts follow that node's tree. */
  homeOf?(id: string): string | undefined;
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
  /**
   * For this long after its view of the mesh changed (a record, a link of its own), ms, a node announces
   * (`ihave`) each broadcast to every neighbour it does not push it to: views may disagree meanwhile. Otherwise
   * it announces it only to the neighbours it is a repair source of (`REPAIR_SOURCES`).
   */
  settleTime: number;
  /** Where the chances of `RecordForwarding.blindShare` come from (tests give a fixed value). */
  random: () => number;
}

export const DEFAULT_TREE_OPTIONS: TreeOptions = {
  graftAfter: 250,
  ihaveDelay: 20,
  cacheEntries: 1000,
  cacheBytes: 32 * 1024 * 1024,
  cacheAge: 60_000,
  settleTime: 5000,
  random: Math.random,
};

export interface ReceiveOptions {
  /**
   * A broadcast its origin sent straight to this node that it passes to nobody (`relays()`) is delivered on the
   * strength of the link (as a direct message is) and its signature checked only if it is to go further: this
   * checks it (false: it is neither passed on nor delivered).
   */
  verify?: () => boolean;
  /**
   * A links record (see the class comment; browser peers get none): `'origin'` at its origin, which pushes it to
   * every node neighbour; elsewhere its origin and the nodes that have it from the origin.
   */
  record?: 'origin' | RecordReach;
}

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
  /** Broadcasts received twice. */
  duplicates: number;
  /** Broadcasts passed on along their origin's shortest-path tree (from the links records held). */
  planned: number;
  /** Broadcasts passed on over the Plumtree eager links (no record of their origin, or not in its tree yet). */
  unplanned: number;
}

interface Cached {
  frame: string | Buffer;
  size: number;
  at: number;
  /** Checks the origin's signature of a broadcast not verified yet (see `receive`); true when it holds. */
  verify?: () => boolean;
  /** When it was last sent to each neighbour in answer to a graft. */
  grafted?: Map<string, number>;
}

interface Missing {
  /** Neighbours that announced the broadcast, in order; the first one is grafted when the timer fires. */
  announcers: string[];
  timer: NodeJS.Timeout;
  /** The neighbour whose `ihave` made this node wait for it (see `MAX_WAITING_PER_NEIGHBOUR`). */
  opener: string;
}

/**
 * Broadcasts a neighbour's `ihave` notices can make this node wait for (a timer and a graft each) at once: one
 * notice's worth. Beyond, its notices of further ids are ignored until some of those arrive or are given up, so a
 * neighbour announcing ids that never come cannot grow this node's memory or timers (broadcasts themselves still
 * come by push, and other neighbours' notices still count).
 */
export const MAX_WAITING_PER_NEIGHBOUR = MAX_TREE_IDS;

/**
 * Broadcast dissemination. Every node holds every node's links record (link-state routing), so a broadcast
 * travels the shortest-path tree rooted at its origin, computed by each node from those records: a node's
 * parent is, among its neighbours one link closer to the origin, the one with the smallest id; links count only
 * when both ends' records list them. Each node pushes the broadcast to its children in that tree: the origin
 * to all its neighbours, N-1 transmissions in all when the views agree, and as few links deep as the mesh
 * allows (one in a full mesh). The plan is computed once per origin and view (`topologyChanged()` drops it).
 *
 * Repair is Plumtree's ("epidemic broadcast trees", Leitão, Pereira, Rodrigues 2007): besides its parent, each
 * node is told of a broadcast (`ihave`, ids only, batched) by up to `REPAIR_SOURCES` neighbours (no farther from
 * the origin than itself, the next ids after its own), and by every neighbour that saw its view change in the
 * last `settleTime` ms. A node that hears of a broadcast it has not received within `graftAfter` asks an
 * announcer for it (`graft`): a node whose parent stopped, or that is nobody's child in some view, still gets it,
 * and passes it on to its own children.
 *
 * A browser peer's broadcasts follow the tree of the node whose record lists it (its node sends them on first).
 * A broadcast whose origin has no record here yet (a node joining), or whose tree does not reach this node or a
 * neighbour in this view, travels Plumtree's eager links as before: a node's first neighbour starts eager, later
 * ones lazy; a duplicate of such a broadcast prunes the link it came over (`prune`: both ends make it lazy), a
 * graft or a new broadcast makes it eager again. `prune` shapes only these eager links; along an origin's tree a
 * duplicate (views that disagree for a moment) is dropped and changes nothing. Each node delivers a broadcast id
 * once. Browser peers are leaves: broadcasts are always pushed to them.
 *
 * The nodes' links records (id `links/<origin>/<seq>`) are what the plans are made of, and while a mesh forms
 * there are many of them, each of which would change every plan: they travel without one. A record's origin pushes
 * it to every node neighbour (the nodes it lists), which need nothing more. A node it does not list gets it pushed
 * by one of them: of the nodes its own record lists, the one with the smallest id among those the record lists; the
 * others announce it (record-reach.ts decides who). Where a node's record is not held, each of them pushes it there
 * with a chance (about BLIND_PUSHES copies in all). Only where none of its neighbours has the record from the origin
 * (two links or more from it) does the record travel the Plumtree links. In a full mesh a record is sent N-1 times,
 * and nothing else; in a mesh where every node is at most two links from every other, about N-1 times.
 */
export class BroadcastTree {
  readonly stats: TreeStats = { payloads: 0, leafPayloads: 0, ihaveMessages: 0, ihaveIds: 0, grafts: 0, prunes: 0, duplicates: 0, planned: 0, unplanned: 0 };
  /** Node neighbours broadcasts without a plan are not pushed to; every other neighbour is eager. */
  readonly #lazy = new Set<string>();
  /** Node neighbours seen so far (a new one starts lazy when there is an eager one already). */
  readonly #known = new Set<string>();
  /** Neighbours sent a `prune` that have sent no first copy of a broadcast since (one prune per run of duplicates). */
  readonly #pruned = new Set<string>();
  readonly #seen = new DedupCache();
  readonly #cache = new Map<string, Cached>();
  #cacheBytes = 0;
  readonly #missing = new Map<string, Missing>();
  /** How many `#missing` entries each neighbour opened. */
  readonly #opened = new Map<string, number>();
  readonly #ihaves = new Map<string, string[]>();
  #ihaveTimer: NodeJS.Timeout | undefined;
  /** Plans per origin for the current view (null: no plan, Plumtree links). */
  readonly #plans = new Map<string, Plan | null>();
  /** The mesh as the records held describe it (built when a plan needs it; null: no record of this node yet). */
  #view: MeshView | null | undefined;
  /** Each record's links as a set, kept while the record is held (a new view rebuilds only those of new records). */
  readonly #linkSets = new WeakMap<readonly string[], Set<string>>();
  /** The home node of each browser peer that broadcast, in the current view. */
  readonly #homes = new Map<string, string>();
  /** When this node's view last changed (ms). */
  #changedAt = -Infinity;

  readonly #records: RecordForwarding;

  constructor(
    readonly host: TreeHost,
    readonly options: TreeOptions = DEFAULT_TREE_OPTIONS,
  ) {
    this.#records = new RecordForwarding(host);
  }

  /** Whether this node has seen the broadcast. */
  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** The links records held, or this node's links, changed: plans are computed afresh. */
  topologyChanged(now: number): void {
    this.#changedAt = now;
    this.#plans.clear();
    this.#view = undefined;
    this.#homes.clear();
  }

  /**
   * A broadcast of `origin` (null: not planned, it travels the Plumtree links) arrived from `from` (null: this node
   * sends it). Returns false for a duplicate (not to be delivered). `frame` is what to pass on (null: its TTL ran
   * out, it goes no further).
   */
  receive(
    from: string | null,
    id: string,
    origin: string | null,
    frame: string | Buffer | null,
    now: number,
    { verify, record }: ReceiveOptions = {},
  ): boolean {
    if (!this.#seen.add(id, now)) {
      if (from !== null && !this.host.isLeaf(from)) {
        this.stats.duplicates++;
        // Prune the link, whether or not this node pushes over it (links are eager or lazy per direction: a
        // neighbour that pushes here while this node treats it as lazy is told too), once until it sends a first
        // copy again.
        if (!this.#pruned.has(from) && this.#plan(origin) === null) {
          this.#lazy.add(from);
          this.#pruned.add(from);
          this.stats.prunes++;
          this.host.transmit(from, encodeControl(pruneMessage()));
        }
      }
      return false;
    }
    const missing = this.#missing.get(id);
    if (missing !== undefined) {
      clearTimeout(missing.timer);
      this.#forget(id, missing);
    }
    this.#meetNeighbours();
    const plan = this.#plan(origin);
    // Without a plan, the link a new broadcast came over is a tree link (it may have been grafted or pruned meanwhile);
    // not a record's link to its origin or to a node the record lists (that is where records come from anyway).
    if (from !== null && plan === null && !(typeof record === 'object' && record.listed.has(from))) this.#lazy.delete(from);
    if (from !== null) this.#pruned.delete(from);
    if (frame === null) return true;
    const pushTo: string[] = [];
    const announceTo: string[] = [];
    const unsettled = now - this.#changedAt < this.options.settleTime;
    let forwarder: string | null;
    let blindShare: number | undefined;
    for (const neighbour of this.host.neighbourIds()) {
      if (neighbour === from) continue;
      if (this.host.isLeaf(neighbour)) {
        if (record === undefined) pushTo.push(neighbour);
      } else if (record === 'origin') {
        pushTo.push(neighbour);
      } else if (record !== undefined && record.listed.has(neighbour)) {
        continue;
      } else if (record !== undefined && (forwarder = this.#records.forwarderOf(neighbour, record)) !== null) {
        if (forwarder === this.host.selfId) pushTo.push(neighbour);
        else announceTo.push(neighbour);
      } else if (record !== undefined && (blindShare ??= this.#records.blindShare(record, from)) > 0) {
        if (this.options.random() < blindShare) pushTo.push(neighbour);
        else announceTo.push(neighbour);
      } else if (this.#pushes(neighbour, plan)) {
        pushTo.push(neighbour);
      } else if (plan === null || !plan.view.index.has(neighbour) || unsettled || this.#repairOf(plan).has(neighbour)) {
        announceTo.push(neighbour);
      }
    }
    if (verify !== undefined && pushTo.length > 0 && !verify()) return false;
    this.#remember(id, frame, now, pushTo.length > 0 ? undefined : verify);
    if (plan === null) this.stats.unplanned++;
    else this.stats.planned++;
    for (const neighbour of pushTo) {
      if (!this.host.transmit(neighbour, frame)) continue;
      if (this.host.isLeaf(neighbour)) this.stats.leafPayloads++;
      else this.stats.payloads++;
    }
    for (const neighbour of announceTo) this.#announce(neighbour, id);
    return true;
  }

  /** Whether a new broadcast of `origin` that arrives from `from` is passed on to any neighbour (browser peers included). */
  relays(from: string, origin: string): boolean {
    this.#meetNeighbours();
    const plan = this.#plan(origin);
    return this.host.neighbourIds().some((neighbour) => neighbour !== from && (this.host.isLeaf(neighbour) || this.#pushes(neighbour, plan)));
  }

  /** Whether a broadcast with this plan (null: none) is pushed to this node neighbour (else at most announced). */
  #pushes(neighbour: string, plan: Plan | null): boolean {
    if (plan !== null && plan.view.index.has(neighbour)) return plan.children.has(neighbour);
    return !this.#lazy.has(neighbour);
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
      const opened = this.#opened.get(from) ?? 0;
      if (opened >= MAX_WAITING_PER_NEIGHBOUR) continue;
      this.#opened.set(from, opened + 1);
      this.#missing.set(id, { announcers: [from], timer: this.#graftLater(id), opener: from });
    }
  }

  /**
   * `from` asks for broadcasts and makes the link eager. Each is sent to one neighbour at most once per
   * `graftAfter * 4` ms: a node grafts an id from one announcer, then from the next; it asks the same neighbour
   * again only after that neighbour announced the id again. Repeats sooner (a flood: a few bytes in, a whole
   * broadcast out each time) go unanswered.
   */
  graft(from: string, ids: string[]): void {
    if (this.host.isLeaf(from)) return;
    this.#lazy.delete(from);
    const now = Date.now();
    for (const id of ids) {
      const cached = this.#cache.get(id);
      if (cached === undefined) continue;
      const last = cached.grafted?.get(from);
      if (last !== undefined && now - last < this.options.graftAfter * 4) continue;
      (cached.grafted ??= new Map()).set(from, now);
      if (cached.verify !== undefined) {
        if (!cached.verify()) continue;
        delete cached.verify;
      }
      if (this.host.transmit(from, cached.frame)) this.stats.payloads++;
    }
  }

  prune(from: string): void {
    if (!this.host.isLeaf(from)) this.#lazy.add(from);
  }

  /** A neighbour's link went down: it is no longer in the tree nor an announcer. */
  linkLost(neighbour: string): void {
    this.#changedAt = Date.now();
    this.#lazy.delete(neighbour);
    this.#known.delete(neighbour);
    this.#pruned.delete(neighbour);
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
    this.#ihaveTimer = undefined;
    this.#ihaves.clear();
    for (const missing of this.#missing.values()) clearTimeout(missing.timer);
    this.#missing.clear();
    this.#opened.clear();
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

  #plan(origin: string | null): Plan | null {
    if (origin === null || this.host.linksOf === undefined) return null;
    if (this.#view === undefined) this.#view = MeshView.build(this.host.selfId, this.host.linksOf.bind(this.host), this.#linkSets);
    const view = this.#view;
    if (view === null) return null;
    // A browser peer's broadcasts travel the tree of the node it is linked to, which sends them on first.
    if (!view.index.has(origin)) {
      let home = this.#homes.get(origin);
      if (home === undefined) {
        home = this.host.homeOf?.(origin);
        // An origin without a record or a home is not remembered (any key can be an origin: a table to fill).
        if (home === undefined || !view.index.has(home)) return null;
        this.#homes.set(origin, home);
      }
      origin = home;
    }
    let plan = this.#plans.get(origin);
    if (plan === undefined) {
      plan = view.plan(origin);
      this.#plans.set(origin, plan);
    }
    return plan;
  }

  /** The repair targets of a plan, computed the first time a settled node needs them. */
  #repairOf(plan: Plan): Set<string> {
    plan.repair ??= plan.view.repairTargets(plan.depth);
    return plan.repair;
  }

  /** The broadcast did not come over the tree in time: ask the first announcer still there, then the next. */
  #graft(id: string): void {
    const missing = this.#missing.get(id);
    if (missing === undefined) return;
    const neighbours = new Set(this.host.neighbourIds());
    let announcer = missing.announcers.shift();
    while (announcer !== undefined && !neighbours.has(announcer)) announcer = missing.announcers.shift();
    if (announcer === undefined) return void this.#forget(id, missing);
    this.#lazy.delete(announcer);
    this.#pruned.delete(announcer);
    this.stats.grafts++;
    this.host.transmit(announcer, encodeControl(graftMessage([id])));
    missing.timer = this.#graftLater(id);
  }

  #forget(id: string, missing: Missing): void {
    this.#missing.delete(id);
    const opened = (this.#opened.get(missing.opener) ?? 0) - 1;
    if (opened > 0) this.#opened.set(missing.opener, opened);
    else this.#opened.delete(missing.opener);
  }

  /**
   * Grafts `id` after `graftAfter`, and after the connection work queued in the process's turn budget then: the
   * push may be waiting there (a busy process), behind the `ihave` that came first.
   */
  #graftLater(id: string): NodeJS.Timeout {
    return setTimeout(() => turnBudget.afterBacklog(() => this.#graft(id)), this.options.graftAfter);
  }

  #announce(neighbour: string, id: string): void {
    const ids = this.#ihaves.get(neighbour);
    if (ids === undefined) this.#ihaves.set(neighbour, [id]);
    else ids.push(id);
    this.#ihaveTimer ??= setTimeout(() => turnBudget.run(LANE_ESTABLISHED, () => this.#flushIhaves()), this.options.ihaveDelay);
  }

  /**
   * Sends the collected notices, each neighbour's as a task of its own in the turn budget: a node with 45 neighbours
   * took 20 ms for all of them in one task while a 100-node mesh formed.
   */
  #flushIhaves(): void {
    this.#ihaveTimer = undefined;
    const pending = [...this.#ihaves];
    this.#ihaves.clear();
    for (const [neighbour, ids] of pending) turnBudget.run(LANE_ESTABLISHED, () => this.#sendIhaves(neighbour, ids));
  }

  #sendIhaves(neighbour: string, ids: string[]): void {
    for (let start = 0; start < ids.length; start += MAX_TREE_IDS) {
      const chunk = ids.slice(start, start + MAX_TREE_IDS);
      if (!this.host.transmit(neighbour, encodeControl(ihaveMessage(chunk)))) break;
      this.stats.ihaveMessages++;
      this.stats.ihaveIds += chunk.length;
    }
  }

  #remember(id: string, frame: string | Buffer, now: number, verify: (() => boolean) | undefined): void {
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    this.#cache.set(id, verify === undefined ? { frame, size, at: now } : { frame, size, at: now, verify });
    this.#cacheBytes += size;
    for (const [oldId, cached] of this.#cache) {
      const over = this.#cache.size > this.options.cacheEntries || this.#cacheBytes > this.options.cacheBytes;
      if (!over && now - cached.at < this.options.cacheAge) break;
      this.#cache.delete(oldId);
      this.#cacheBytes -= cached.size;
    }
  }
}
