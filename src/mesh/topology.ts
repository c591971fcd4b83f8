import type { LinkEntry, LinksMessage, PeerKind } from './envelope.ts';

export interface Route {
  /** The neighbour to hand the message to. */
  via: string;
  /** Links on the way: 1 for a neighbour. */
  hops: number;
  name: string;
  kind: PeerKind;
}

/**
 * What this node knows of the mesh beyond its neighbours: the newest `links` record of every other node
 * (link-state flooding: a record newer than the stored one is kept and passed on, an older one is dropped).
 */
export class Topology {
  readonly #records = new Map<string, LinksMessage>();

  constructor(readonly selfId: string) {}

  /** Stores a record about another node if it is newer than the one known; true when it should be flooded on. */
  accept(record: LinksMessage): boolean {
    if (record.origin === this.selfId) return false;
    const known = this.#records.get(record.origin);
    if (known !== undefined && known.seq >= record.seq) return false;
    this.#records.set(record.origin, record);
    return true;
  }

  records(): LinksMessage[] {
    return [...this.#records.values()];
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
