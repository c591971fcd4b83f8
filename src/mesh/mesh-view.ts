/** Neighbours that announce a broadcast to each node besides its parent in the tree (when views agree). */
export const REPAIR_SOURCES = 2;

/** How one origin's broadcasts leave this node, from the links records it holds (one view of the mesh). */
export interface Plan {
  view: MeshView;
  /** Links from the origin, per node index. */
  depth: Int32Array;
  /** Node neighbours this node pushes them to: its children in the origin's shortest-path tree. */
  children: Set<string>;
  /** Neighbours it announces them to while its view is settled (it is one of their repair sources); null: not computed yet. */
  repair: Set<string> | null;
}

/**
 * The mesh as this node's records describe it: the nodes reachable from this node over links that both ends'
 * records list, numbered, with their ids ranked (the tie-breaks compare ranks, not strings). Built once per view.
 */
export class MeshView {
  readonly index = new Map<string, number>();
  readonly ids: string[] = [];
  readonly adjacency: number[][] = [];
  rank = new Int32Array(0);

  private constructor(readonly self: number) {}

  /** Null when this node has published no record yet (nobody can have it in a tree). */
  static build(selfId: string, linksOf: (id: string) => readonly string[] | undefined, sets: WeakMap<readonly string[], Set<string>>): MeshView | null {
    const listedBy = (id: string): Set<string> | null => {
      const links = linksOf(id);
      if (links === undefined) return null;
      let set = sets.get(links);
      if (set === undefined) {
        set = new Set(links);
        sets.set(links, set);
      }
      return set;
    };
    if (listedBy(selfId) === null) return null;
    const view = new MeshView(0);
    view.#add(selfId);
    for (let node = 0; node < view.ids.length; node++) {
      const id = view.ids[node];
      for (const other of listedBy(id)!) {
        if (other === id || listedBy(other)?.has(id) !== true) continue;
        view.adjacency[node].push(view.index.get(other) ?? view.#add(other));
      }
    }
    const order = view.ids.map((_, node) => node).sort((a, b) => (view.ids[a] < view.ids[b] ? -1 : 1));
    view.rank = new Int32Array(order.length);
    order.forEach((node, rank) => (view.rank[node] = rank));
    return view;
  }

  #add(id: string): number {
    this.index.set(id, this.ids.length);
    this.ids.push(id);
    this.adjacency.push([]);
    return this.ids.length - 1;
  }

  /** The shortest-path tree of `origin` (a node of this view), as far as this node is concerned. */
  plan(origin: string): Plan {
    const depth = new Int32Array(this.ids.length).fill(-1);
    const start = this.index.get(origin)!;
    depth[start] = 0;
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head];
      for (const next of this.adjacency[node]) {
        if (depth[next] !== -1) continue;
        depth[next] = depth[node] + 1;
        queue.push(next);
      }
    }
    const children = new Set<string>();
    for (const neighbour of this.adjacency[this.self]) if (this.#parent(neighbour, depth) === this.self) children.add(this.ids[neighbour]);
    return { view: this, depth, children, repair: null };
  }

  /** A node's parent: among its neighbours one link closer to the origin, the one with the smallest id. */
  #parent(node: number, depth: Int32Array): number {
    let parent = -1;
    for (const next of this.adjacency[node]) {
      if (depth[next] === depth[node] - 1 && (parent === -1 || this.rank[next] < this.rank[parent])) parent = next;
    }
    return parent;
  }

  /** The neighbours this node is one of the `REPAIR_SOURCES` of (not its children, no closer to the origin). */
  repairTargets(depth: Int32Array): Set<string> {
    const targets = new Set<string>();
    for (const neighbour of this.adjacency[this.self]) {
      if (depth[neighbour] < depth[this.self]) continue;
      const parent = this.#parent(neighbour, depth);
      if (parent !== this.self && this.#isRepairSource(neighbour, parent, depth)) targets.add(this.ids[neighbour]);
    }
    return targets;
  }

  /**
   * Whether this node is one of the `REPAIR_SOURCES` of `node`: its neighbours no farther from the origin than
   * itself, except its parent, taken in the order of their ids after `node`'s own (wrapping around), which spreads
   * the announcing evenly over the nodes.
   */
  #isRepairSource(node: number, parent: number, depth: Int32Array): boolean {
    // Rank distance after `node`, wrapping around.
    const after = (other: number) => (this.rank[other] - this.rank[node] + this.ids.length) % this.ids.length;
    const own = after(this.self);
    let before = 0;
    for (const other of this.adjacency[node]) {
      if (other === parent || other === this.self || depth[other] > depth[node]) continue;
      if (after(other) < own && ++before >= REPAIR_SOURCES) return false;
    }
    return true;
  }
}
