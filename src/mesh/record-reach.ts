/**
 * Who passes a links record on to a node the record does not list (see `BroadcastTree`): the rules that let records
 * travel without a broadcast plan, since they are what the plans are made of.
 */

/** How a links record spreads from a node that is not its origin (see `BroadcastTree.receive`). */
export interface RecordReach {
  origin: string;
  /** The origin and the nodes its record lists: they have it from the origin. */
  listed: ReadonlySet<string>;
}

/** Copies of a links record that a node whose record is not held yet gets pushed, on average (see `blindShare`). */
export const BLIND_PUSHES = 2;

/** What the rules read of the node: itself, its neighbours, and the links records it holds. */
export interface ReachHost {
  readonly selfId: string;
  neighbourIds(): string[];
  /** The nodes a node's links record lists; undefined when no record of it is held; the same array while it is the same. */
  linksOf?(id: string): readonly string[] | undefined;
}

export class RecordForwarding {
  /** Each record's links, sorted, while the record is held. */
  readonly #sortedLinks = new WeakMap<readonly string[], string[]>();

  constructor(readonly host: ReachHost) {}

  /**
   * Which node pushes a links record to a node the record does not list: of the nodes its own record lists, the one
   * with the smallest id that has the record from its origin (every node that holds both records picks the same
   * one; where views differ, the announcements repair). Null: no record of it held, or none of its neighbours has
   * the record from the origin.
   */
  forwarderOf(neighbour: string, reach: RecordReach): string | null {
    const links = this.host.linksOf?.(neighbour);
    if (links === undefined) return null;
    let sorted = this.#sortedLinks.get(links);
    if (sorted === undefined) {
      sorted = [...links].sort();
      this.#sortedLinks.set(links, sorted);
    }
    for (const id of sorted) if (id !== reach.origin && reach.listed.has(id)) return id;
    return null;
  }

  /**
   * The chance with which this node pushes a record to a neighbour `forwarderOf` names nobody for. A node that got
   * a links record straight from its origin cannot tell which of the origin's neighbours is to push it to such a
   * neighbour: while a mesh forms, every node publishes its first record at about the same time, and none holds the
   * others'. Left to the Plumtree links, most such records went by `ihave` and `graft`, 250 ms and the process's
   * backlog of work per hop. Instead each of the origin's neighbours pushes it there with the chance
   * BLIND_PUSHES / c, c being the nodes the record lists that this node is linked to (the origin included): a
   * neighbour is linked to about as many of them, so about BLIND_PUSHES copies arrive there; the others announce
   * it. 0: this node did not get the record from its origin (so these pushes stop two links from it).
   */
  blindShare(reach: RecordReach, from: string | null): number {
    if (from !== reach.origin) return 0;
    let shared = 1;
    for (const neighbour of this.host.neighbourIds()) if (reach.listed.has(neighbour)) shared++;
    return Math.min(1, BLIND_PUSHES / shared);
  }
}
