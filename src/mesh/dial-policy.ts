import type { DialTarget, PeerTable } from './peer-table.ts';
import { turnBudget } from '../transport/turn-budget.ts';

/** The smallest `maxPeers` at which a full node closes a link to make room for a node with few links. */
export const MIN_PEERS_TO_MAKE_ROOM = 4;
/**
 * A node that would dial every node it knows (the full mesh: fewer known nodes than `maxPeers`) first dials only its
 * active view (`activeViewSize`), and the rest once the nodes it knows (and which of them are unreachable) have not
 * changed for this long (ms).
 */
export const DENSIFY_AFTER_MS = 1000;
/** The same while some node it knows is unreachable (its records may still be on their way; or it stopped). */
export const DENSIFY_UNREACHABLE_MS = 5000;
/** A node that knows at most this many nodes dials them all at once (a small LAN's full mesh, as soon as it can). */
export const DIAL_ALL_AT_ONCE = 12;
/** A node ready to densify while its process has queued connection work looks again after this many ms... */
export const DENSIFY_BUSY_RECHECK_MS = 250;
/** ... and densifies anyway once it has waited this long for its process (ms). */
export const DENSIFY_BUSY_MAX_MS = 2000;
/**
 * Once densifying, a node leaves the nodes with a smaller id this long (ms) to dial it before it dials them (one
 * handshake per pair, not two racing ones): longer than another node may wait for its process, plus time for that
 * node's handshakes on a busy machine.
 */
export const DENSIFY_PAIR_DEFER_MS = DENSIFY_BUSY_MAX_MS + 3000;

/**
 * The active view of a node that knows `known` nodes: log2(known + 1) + 1 links, at least `MIN_PEERS_TO_MAKE_ROOM`,
 * at most half of `maxPeers` (HyParView's active view).
 */
export function activeViewSize(maxPeers: number, known: number): number {
  return Math.min(Math.ceil(maxPeers / 2), Math.max(MIN_PEERS_TO_MAKE_ROOM, Math.ceil(Math.log2(known + 1)) + 1));
}

/** What a node may dial now (see DialPolicy.limit). */
export interface DialLimit {
  /** Links (live, and dials in flight) to dial up to now. */
  limit: number;
  /** When the limit may change without anything else happening (a timer is due then), or null. */
  recheckAt: number | null;
  /** Dials that wait for now (the other end is expected to dial), or null. */
  waits: ((dial: DialTarget) => boolean) | null;
}

/**
 * How many links a node dials for, and when. The target: while every known node fits into `maxPeers`, all of
 * them (the full mesh mDNS gives on a LAN); beyond, a small active view as in HyParView (`activeViewSize`: 8 at 100
 * nodes); inbound links are still accepted up to `maxPeers`, so joiners find room. Every link is in every links
 * record, so fewer links are far cheaper for the whole mesh.
 *
 * A node does not know at start how many nodes the mesh has (static peers name some; records of its first links
 * name the rest), so a full-mesh target is reached in two steps: first the active view, then the rest once the
 * nodes it knows have stayed the same for `DENSIFY_AFTER_MS` (all reachable). A node that turns out to be one of
 * more than `maxPeers` nodes thus keeps to its active view: given the earlier nodes as static peers, each of the
 * first 64 of 100 nodes used to dial all it knew at start, a full mesh of 2,300 links among them where 100 active
 * views need about 450. And in a mesh that fits, the tables are complete over the active views, before the
 * full mesh (1,770 links at 60 nodes) has formed.
 */
export class DialPolicy {
  /** Known nodes and how many of them are unreachable, when last seen, and since when. */
  #known = -1;
  #unreachable = -1;
  #viewSince = 0;
  /** When this node began to dial beyond its active view for the current view, or null. */
  #denseSince: number | null = null;

  constructor(
    readonly selfId: string,
    readonly table: PeerTable,
    readonly maxPeers: number,
  ) {}

  /** Nodes known by id, and static addresses not tied to an id yet that no links record names. */
  known(): number {
    return this.table.nodeCount + this.table.unclaimedPendingCount;
  }

  /** How many links this node dials for in the end (see the class). */
  target(): number {
    return this.#targetFor(this.known());
  }

  #targetFor(known: number): number {
    return known < this.maxPeers ? this.maxPeers : activeViewSize(this.maxPeers, known);
  }

  /** How many links this node may dial for now, and when that may change. */
  limit(now: number): DialLimit {
    const known = this.known();
    const unreachable = this.table.unreachableCount;
    if (known !== this.#known || unreachable !== this.#unreachable) {
      [this.#known, this.#unreachable, this.#viewSince, this.#denseSince] = [known, unreachable, now, null];
    }
    const target = this.#targetFor(known);
    const active = activeViewSize(this.maxPeers, known);
    if (target <= active || known <= DIAL_ALL_AT_ONCE) return { limit: target, recheckAt: null, waits: null };
    if (this.#denseSince === null) {
      const denseAt = this.#viewSince + (unreachable === 0 ? DENSIFY_AFTER_MS : DENSIFY_UNREACHABLE_MS);
      if (now < denseAt) return { limit: active, recheckAt: denseAt, waits: null };
      // The links beyond the active view shorten paths; they wait while the process has queued connection work
      // (for DENSIFY_BUSY_MAX_MS at most), so that their handshakes (which go first, see TurnBudget) do not hold up
      // the records and messages of the links it has: many nodes in one process would otherwise densify while the
      // others' tables still fill.
      if (turnBudget.backlog > 0 && now < denseAt + DENSIFY_BUSY_MAX_MS) {
        return { limit: active, recheckAt: now + DENSIFY_BUSY_RECHECK_MS, waits: null };
      }
      this.#denseSince = now;
    }
    const pairsAt = this.#denseSince + DENSIFY_PAIR_DEFER_MS;
    if (now >= pairsAt) return { limit: target, recheckAt: null, waits: null };
    // Both ends of a pair densify at about the same time: the one with the smaller id dials (it has the other's
    // address from a record, or as a static peer), the other only later.
    const { table, selfId } = this;
    return { limit: target, recheckAt: pairsAt, waits: (dial) => (dial.peerId ?? table.claimedId(dial.url) ?? selfId) < selfId };
  }
}
