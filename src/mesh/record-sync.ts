import { digestMessage, encodeControl, linksDelta, linksRecord } from './envelope.ts';
import type { DigestMessage, LinkEntry, LinksMessage, SignedMessage } from './envelope.ts';
import type { BroadcastTree } from './broadcast-tree.ts';
import type { RecordReach } from './record-reach.ts';
import type { PeerLink } from './link.ts';
import { chainAfter } from './topology.ts';
import type { Topology } from './topology.ts';
import { LANE_ESTABLISHED, turnBudget } from '../transport/turn-budget.ts';

/** Changes of this node's links within this many ms go out as one links record. */
export const LINKS_BATCH_MS = 100;
/**
 * A node issues at most one links record per this many ms, plus `LINKS_INTERVAL_PER_LINK_MS` per link it has:
 * while many links come up at once (a mesh forming), every record is a full list sent to every node, so fewer,
 * larger batches cost far less (a node with 59 links: one record per 3.5 s at most).
 */
export const LINKS_MIN_INTERVAL_MS = 500;
export const LINKS_INTERVAL_PER_LINK_MS = 50;
/** A new link between two nodes that already know records exchanges digests this many ms after it came up. */
export const DIGEST_DELAY_MS = 1000;
/**
 * A digest answer skips records the neighbour holds less than this many ms older (a record's seq is its
 * origin's clock when issued): while a mesh forms, those are on their way over the broadcast tree.
 */
export const DIGEST_STALE_MS = 5000;
/**
 * A node's records are deltas against its previous one (see LinksMessage), with a full record at least every this
 * many, and whenever the delta would list every entry anyway: a chain (full record and deltas since) stays short.
 */
export const FULL_RECORD_EVERY = 3;
/**
 * A delta whose base is missing waits this many ms (the base may be on its way by another path) before the records
 * since are pulled from the neighbour that sent it; then again, from other neighbours, up to `PULL_TRIES` times.
 */
export const PULL_DELAY_MS = 250;
export const PULL_TRIES = 6;
/**
 * A pull of an origin is answered over a link at most once in this many ms: a node retries a pull after
 * `PULL_DELAY_MS * 4`, so only repeats sooner than any node makes (a flood: a few bytes in, a chain of signed
 * records out each time) go unanswered. Likewise a link's digest is answered once: a node sends one, when the link
 * comes up.
 */
export const PULL_ANSWER_INTERVAL_MS = PULL_DELAY_MS * 2;

/**
 * New records accepted from one origin: a burst of this many (a chain in a digest answer is at most
 * FULL_RECORD_EVERY), then one per `RECORD_REFILL_MS`. A node issues one per LINKS_MIN_INTERVAL_MS at most, so only
 * an origin that issues records on purpose faster (a routing storm made by a member) is held back: the records over
 * its budget are dropped, not passed on.
 */
export const RECORD_BURST = 8;
export const RECORD_REFILL_MS = LINKS_MIN_INTERVAL_MS / 2;

/** Record sync's state of one node link. */
interface LinkSync {
  /** When (`#tick()`) it came up: a digest answer leaves out what was pushed or passed on over it since. */
  upAt: number;
  /** Its digest was answered (once per link; see `PULL_ANSWER_INTERVAL_MS`). */
  digestAnswered: boolean;
  /** When a pull of each origin was last answered over it. */
  pullsAnswered: Map<string, number>;
}

/** What record sync needs from the router. */
export interface RecordSyncHost {
  readonly self: { id: string; name: string; boot: string };
  readonly topology: Topology;
  readonly tree: BroadcastTree;
  /** Signs a message as this node. */
  signer<T extends SignedMessage>(message: T): T;
  /** One established link per neighbour id. */
  readonly live: ReadonlyMap<string, PeerLink>;
  /** Sends a frame over a link (false: it is not open). */
  send(link: PeerLink, frame: string | Buffer): boolean;
  /** This node's links as its record lists them. */
  neighbourEntries(): LinkEntry[];
  /** Links to nodes (not browser peers). */
  nodeLinks(): PeerLink[];
  nextHop(id: string): string | null;
  /** A record held was replaced: routes are due. */
  recordsChanged(): void;
}

/**
 * The `links` records (link-state routing): this node's own record, issued when its links change (batched, rate
 * limited, deltas between full records), and everyone else's: accepted when newer, passed on over the broadcast
 * tree (see `BroadcastTree`: from the origin to the nodes it lists, through one designated neighbour to the
 * others), a missing delta's base pulled, and a digest exchanged with each new node neighbour.
 */
export class RecordSync {
  /** Sequence of this node's own links record; starts at the clock so a restarted node's records are newer. */
  #seq = Date.now();
  /** The whole list of this node's newest links record (null: none yet); the record itself may be a delta. */
  #published: LinksMessage | null = null;
  /** The signed records that make `#published`: the last full record and the deltas since. */
  #chain: LinksMessage[] = [];
  /** Pulls of the records since a missing base, per origin. */
  readonly #pulls = new Map<string, { timer?: NodeJS.Timeout; tries: number }>();
  #linksTimer: NodeJS.Timeout | undefined;

  constructor(readonly host: RecordSyncHost) {}

  /** The whole list of this node's newest record (what the others plan with); null before the first. */
  get published(): LinksMessage | null {
    return this.#published;
  }

  /** A node link came up: digests are exchanged (see `#syncLater`). */
  linkUp(link: PeerLink): void {
    this.#links.set(link, { upAt: this.#tick(), digestAnswered: false, pullsAnswered: new Map() });
    this.#syncLater(link);
  }

  /** Records held were forgotten (`Topology.expire`): so is what was passed on of them. */
  expire(): void {
    for (const origin of this.#passedOn.keys()) if (this.host.topology.record(origin) === undefined) this.#passedOn.delete(origin);
    // A budget refilled to the full burst is the same as none.
    const now = Date.now();
    for (const [origin, budget] of this.#budgets) if (budget.tokens + (now - budget.at) / RECORD_REFILL_MS >= RECORD_BURST) this.#budgets.delete(origin);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#linksTimer);
    for (const timer of this.#syncTimers) clearTimeout(timer);
    for (const pull of this.#pulls.values()) clearTimeout(pull.timer);
  }

  /** A neighbour's links record (signature checked by the router where it will be used). */
  onLinks(from: PeerLink, record: LinksMessage): void {
    if (record.origin === this.host.self.id) {
      // An echo of this run's record changes nothing (but tells the tree that link is redundant). A record of a previous run that is not older than ours
      // would win over ours elsewhere: supersede it once with a fresh record (after that ours is newer).
      if (record.boot !== this.host.self.boot && record.seq >= this.#seq && record.seq < Number.MAX_SAFE_INTEGER) {
        this.#seq = record.seq;
        this.#publishLinks(true);
      }
      this.host.tree.receive(from.remote!.id, recordId(record), null, null, Date.now());
      return;
    }
    const id = recordId(record);
    const { tree } = this.host;
    // A record seen before is not looked at again (a delta waiting for its base is applied when the base comes),
    // unless it was a delta that gave up waiting and is pulled now.
    if (tree.has(id) && (!this.host.topology.isNewer(record) || this.host.topology.isWaiting(record))) return void tree.receive(from.remote!.id, id, null, null, Date.now());
    // Records of an origin this node is pulling, up to the delta that waits, are the answer (the chain since its last
    // full record): the rest of the mesh has them, so they are not passed on (each would be a duplicate everywhere).
    // A new record costs its origin one record of its budget; over it, the record is dropped (see RECORD_BURST).
    if (this.host.topology.isNewer(record) && !this.#spend(record.origin)) return;
    const waitsFor = this.#pulls.has(record.origin) ? this.host.topology.missing(record.origin) : null;
    const pulled = waitsFor !== null && record.seq <= waitsFor;
    const outcome = this.host.topology.accept(record);
    // Passed on over the broadcast tree (ids only over its other links), like a broadcast; a delta whose base is
    // missing here too (others downstream probably hold it).
    if (!tree.has(id) && !pulled) {
      const now = Date.now();
      tree.receive(from.remote!.id, id, null, outcome === 'stale' ? null : encodeControl(record), now, { record: this.#listedBy(record, outcome === 'fresh') });
      if (outcome !== 'stale') this.#passedOn.set(record.origin, { seq: record.seq, at: this.#tick() });
    }
    if (outcome === 'gap') this.#pullLater(record.origin, from.remote!.id);
    if (outcome !== 'fresh') return;
    tree.topologyChanged(Date.now());
    this.host.recordsChanged();
  }

  /** New records accepted per origin lately (see RECORD_BURST): the tokens left and when they were counted. */
  readonly #budgets = new Map<string, { tokens: number; at: number }>();

  /** Takes one record from `origin`'s budget; false when none is left. */
  #spend(origin: string): boolean {
    const now = Date.now();
    let budget = this.#budgets.get(origin);
    if (budget === undefined) this.#budgets.set(origin, (budget = { tokens: RECORD_BURST, at: now }));
    budget.tokens = Math.min(RECORD_BURST, budget.tokens + (now - budget.at) / RECORD_REFILL_MS);
    budget.at = now;
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    return true;
  }

  /**
   * The nodes that have a record from its origin: the origin and the nodes its links list (the whole list when the
   * record was stored, else those a delta adds).
   */
  #listedBy(record: LinksMessage, stored: boolean): RecordReach {
    const listed = new Set<string>([record.origin]);
    for (const entry of (stored ? this.host.topology.record(record.origin) : undefined)?.links ?? record.links) if (entry.kind === 'node') listed.add(entry.id);
    return { origin: record.origin, listed };
  }

  /**
   * A delta's base is missing: unless it arrives meanwhile (it may come by another path), ask for the origin's
   * records since its last full one: the origin itself when it is a neighbour, else `neighbour` (which passed the
   * delta on), then the neighbour on the way to the origin, then others.
   */
  #pullLater(origin: string, neighbour: string): void {
    if (this.#pulls.has(origin)) return;
    const pull: { timer?: NodeJS.Timeout; tries: number } = { tries: 0 };
    const attempt = () => {
      if (this.host.topology.missing(origin) === null || pull.tries >= PULL_TRIES) return void this.#pulls.delete(origin);
      const nodes = this.host.nodeLinks();
      const preferred = [...new Set([origin, neighbour, this.host.nextHop(origin)])].filter((id): id is string => id !== null && this.host.live.has(id));
      const link = pull.tries < preferred.length ? this.host.live.get(preferred[pull.tries]!)! : nodes[Math.floor(Math.random() * nodes.length)];
      pull.tries++;
      if (link !== undefined) this.host.send(link, encodeControl(digestMessage([[origin, this.host.topology.record(origin)?.seq ?? 0]], true)));
      pull.timer = setTimeout(attempt, PULL_DELAY_MS * 4);
    };
    pull.timer = setTimeout(attempt, PULL_DELAY_MS);
    this.#pulls.set(origin, pull);
  }

  /** A new neighbour's digest: send it only the records it lacks or holds older. */
  onDigest(from: PeerLink, digest: DigestMessage): void {
    // A digest is not signed: the seq it claims for this node's own record is never adopted. If the neighbour
    // holds a newer record of ours (from a previous run), it sends it (signed by us) in answer to our digest.
    if (digest.pull === true) {
      // It misses a delta's base: every newer record of the origins named, however recent.
      const now = Date.now();
      const { pullsAnswered } = this.#linkSync(from);
      for (const [origin, seq] of digest.have) {
        if (now - (pullsAnswered.get(origin) ?? -Infinity) < PULL_ANSWER_INTERVAL_MS) continue;
        const chain = origin === this.host.self.id ? chainAfter(this.#chain, seq) : this.host.topology.chain(origin, seq);
        let sent = false;
        for (const record of chain) if (record.seq > seq) sent = this.host.send(from, encodeControl(record)) || sent;
        // Only origins held are remembered: at most the topology's maxRecords per link.
        if (sent) pullsAnswered.set(origin, now);
      }
      return;
    }
    const sync = this.#linkSync(from);
    if (sync.digestAnswered) return;
    sync.digestAnswered = true;
    const theirs = new Map(digest.have);
    const linkUpAt = sync.upAt;
    // This node's own record first, when it was published before this link came up (one published since was
    // pushed over this link and is on its way). The neighbour may have missed it: two nodes that dial each other
    // at once keep the second link, what was pushed over the first is dropped with it, and the second link
    // changes no links (no new record follows).
    const ownKnown = theirs.get(this.host.self.id);
    if (this.#published !== null && (ownKnown === undefined || ownKnown < this.#published.seq) && this.#publishedTick < linkUpAt) {
      for (const signed of chainAfter(this.#chain, ownKnown ?? null)) this.host.send(from, encodeControl(signed));
    }
    for (const record of this.host.topology.records()) {
      // A record it holds only a little older (seq is the origin's clock) is probably on its way over the tree.
      const known = theirs.get(record.origin);
      if (known !== undefined && known >= record.seq) continue;
      if (known !== undefined && known >= record.seq - DIGEST_STALE_MS) continue;
      // A record this node passed on after the link came up went to the neighbour then (pushed, announced, or it
      // had it from the origin): only the records before it go, which a delta needs as its base (a node that joins
      // while the mesh forms would otherwise pull the base of nearly every origin, one pull each).
      const passedOn = this.#passedOn.get(record.origin);
      const passed = passedOn !== undefined && passedOn.seq === record.seq && passedOn.at > linkUpAt;
      const chain = this.host.topology.chain(record.origin, known ?? null);
      for (const signed of passed ? chain.slice(0, -1) : chain) this.host.send(from, encodeControl(signed));
    }
  }

  /**
   * Sends the new neighbour a digest of the records held (it answers with what this node lacks). A node that
   * knows no records yet (joining) asks at once; otherwise only after `DIGEST_DELAY_MS`: while a mesh forms,
   * records travel the broadcast tree anyway, and a later digest asks for far fewer of them.
   */
  #syncLater(link: PeerLink): void {
    const send = () => {
      if (this.host.live.get(link.remote!.id) === link) this.host.send(link, encodeControl(digestMessage(this.#digest())));
    };
    if (this.host.topology.records().length === 0) return send();
    const timer = setTimeout(() => {
      this.#syncTimers.delete(timer);
      turnBudget.run(LANE_ESTABLISHED, () => {
        if (!this.#stopped) send();
      });
    }, DIGEST_DELAY_MS);
    this.#syncTimers.add(timer);
  }

  readonly #syncTimers = new Set<NodeJS.Timeout>();
  /** What record sync keeps per node link (see `LinkSync`). */
  readonly #links = new WeakMap<PeerLink, LinkSync>();

  #linkSync(link: PeerLink): LinkSync {
    let sync = this.#links.get(link);
    if (sync === undefined) this.#links.set(link, (sync = { upAt: Infinity, digestAnswered: false, pullsAnswered: new Map() }));
    return sync;
  }
  /**
   * Orders link-ups, records passed on and this node's publications (a counter, not the clock: two of them in the
   * same millisecond must still be told apart).
   */
  #ticks = 0;
  #tick(): number {
    return ++this.#ticks;
  }
  /** When (`#tick()`) this node's newest record was published. */
  #publishedTick = 0;
  /** The newest record of each origin this node passed on over the broadcast tree, and when (`#tick()`). */
  readonly #passedOn = new Map<string, { seq: number; at: number }>();

  #digest(): Array<[string, number]> {
    const have: Array<[string, number]> = this.host.topology.records().map((record) => [record.origin, record.seq]);
    if (this.#published !== null) have.push([this.host.self.id, this.#published.seq]);
    return have;
  }

  /**
   * This node's links changed: one record goes out after `LINKS_BATCH_MS` for all changes until then, and no
   * sooner than the minimum interval (see `LINKS_MIN_INTERVAL_MS`) after the previous one.
   */
  scheduleLinks(force = false): void {
    if (force) this.#forcePublish = true;
    const sincePublished = this.#published === null ? Infinity : Date.now() - this.#publishedAt;
    const interval = LINKS_MIN_INTERVAL_MS + LINKS_INTERVAL_PER_LINK_MS * this.host.live.size;
    const publish = () => {
      this.#linksTimer = undefined;
      if (this.#stopped) return;
      const links = this.host.neighbourEntries();
      // Links that went down and up again within the batch: nothing to tell.
      if (!this.#forcePublish && this.#published !== null && sameLinks(this.#published.links, links)) return;
      this.#publishLinks();
    };
    this.#linksTimer ??= setTimeout(() => turnBudget.run(LANE_ESTABLISHED, publish), Math.max(LINKS_BATCH_MS, interval - sincePublished));
  }

  #forcePublish = false;
  #publishedAt = 0;
  #stopped = false;

  /** Issues this node's record: a delta against the previous one, or a full one (`full`, or see FULL_RECORD_EVERY). */
  #publishLinks(full = false): void {
    this.#forcePublish = false;
    this.#seq = Math.max(this.#seq + 1, Date.now());
    const { id, boot, name } = this.host.self;
    const links = this.host.neighbourEntries();
    const whole = linksRecord(id, boot, this.#seq, name, links);
    const previous = this.#published;
    const change = full || previous === null || this.#chain.length >= FULL_RECORD_EVERY ? null : linksChange(previous.links, links);
    let record: LinksMessage;
    if (change === null || change.links.length >= links.length) {
      record = this.host.signer(whole);
      this.#chain = [record];
    } else {
      record = this.host.signer(linksDelta(id, boot, this.#seq, name, previous!.seq, change.links, change.gone));
      this.#chain.push(record);
    }
    this.#published = record.base === undefined ? record : whole;
    this.#publishedAt = Date.now();
    this.#publishedTick = this.#tick();
    this.host.tree.receive(null, recordId(record), null, encodeControl(record), this.#publishedAt, { record: 'origin' });
    // Others plan broadcasts with this record from now on.
    this.host.tree.topologyChanged(this.#publishedAt);
  }
}

function recordId(record: LinksMessage): string {
  return `links/${record.origin}/${record.seq}`;
}

/** The entries added or changed from `before` to `after`, and the ids gone. */
function linksChange(before: LinkEntry[], after: LinkEntry[]): { links: LinkEntry[]; gone: string[] } {
  const old = new Map(before.map((entry) => [entry.id, entry]));
  const now = new Set(after.map((entry) => entry.id));
  const links = after.filter((entry) => {
    const was = old.get(entry.id);
    return was === undefined || was.name !== entry.name || was.kind !== entry.kind || was.url !== entry.url;
  });
  return { links, gone: before.filter((entry) => !now.has(entry.id)).map((entry) => entry.id) };
}

function sameLinks(a: LinkEntry[], b: LinkEntry[]): boolean {
  const key = (entries: LinkEntry[]) => entries.map((entry) => `${entry.id}\n${entry.name}\n${entry.kind}`).sort().join('\n\n');
  return a.length === b.length && key(a) === key(b);
}
