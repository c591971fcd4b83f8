// Broadcasts along their origin's shortest-path tree, over real sockets: exactly N-1 payload transmissions in a
// converged full and partial mesh (frames counted at PeerLink.send), each broadcast delivered once, as few links
// deep as the mesh allows; repair (ihave/graft) when a node of the tree drops broadcasts or stops; a broadcast of
// a node whose links record nobody holds (the Plumtree eager links).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLink } from '../../src/mesh/link.ts';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../src/mesh/options.ts';
import { MeshRouter } from '../../src/mesh/router.ts';
import { DEFAULT_TREE_OPTIONS } from '../../src/mesh/broadcast-tree.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { WireCounter, collectBroadcasts } from '../scale/support.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from './support.ts';

/** Every router started in this process (captured when its first link comes up): the tests read their views. */
const routers = new Map<string, MeshRouter>();
const originalEstablished = MeshRouter.prototype.established;
MeshRouter.prototype.established = function (this: MeshRouter, link: PeerLink): void {
  routers.set(this.self.id, this);
  originalEstablished.call(this, link);
};

/** Frames sent by the links of these nodes that `drop` refuses are lost (reported as sent). */
const originalSend = PeerLink.prototype.send;
let dropFrom = new Set<MeshNode>();
let drop: (frame: string | Buffer) => boolean = () => false;
PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
  for (const node of dropFrom) {
    if (liveLink(node, this.remote?.id ?? '') === this && drop(frame)) return typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  }
  return originalSend.call(this, frame);
};

let counter: WireCounter;
test.before(() => {
  counter = new WireCounter();
});
test.after.each(async () => {
  dropFrom = new Set();
  await stopAllNodes();
  routers.clear();
});
test.after(() => {
  counter.restore();
  PeerLink.prototype.send = originalSend;
  MeshRouter.prototype.established = originalEstablished;
});

const isType = (type: string) => (frame: string | Buffer) =>
  (typeof frame === 'string' ? frame.slice(0, 16) : frame.toString('utf8', 4, 20)).startsWith(`{"t":"${type}"`);

/** Node i is given nodes `peersOf(i)` (earlier ones) as static peers; nodes learnt through others are not dialled. */
async function startMesh(count: number, peersOf: (index: number) => number[], options: MeshNodeOptions = {}): Promise<MeshNode[]> {
  const nodes: MeshNode[] = [];
  for (let index = 0; index < count; index++) {
    nodes.push(await startNode({ name: `b${index}`, peers: peersOf(index).map((peer) => nodes[peer].urls[0]), dialLearnt: false, ...options }));
  }
  return nodes;
}

/** The node links each node has now (browser peers are not part of the trees). */
function liveLinks(node: MeshNode): string[] {
  const router = routers.get(node.id)!;
  return router.neighbourIds().filter((id) => !router.isLeaf(id)).sort();
}

/** Every node holds every node's current links record (its own published one included): the views agree. */
function viewsAgree(nodes: MeshNode[]): boolean {
  if (!nodes.every((node) => routers.has(node.id))) return false;
  return nodes.every((node) => {
    const router = routers.get(node.id)!;
    return nodes.every((other) => JSON.stringify(router.linksOf(other.id)?.slice().sort()) === JSON.stringify(liveLinks(other)));
  });
}

/** Links between nodes, breadth first from `origin`. */
function distances(nodes: MeshNode[], origin: MeshNode): Map<string, number> {
  const depth = new Map([[origin.id, 0]]);
  const queue = [origin.id];
  for (let index = 0; index < queue.length; index++) {
    for (const next of liveLinks(nodes.find((node) => node.id === queue[index])!)) {
      if (!depth.has(next)) {
        depth.set(next, depth.get(queue[index])! + 1);
        queue.push(next);
      }
    }
  }
  return depth;
}

/** Broadcasts from each sender in turn; every node must deliver every other node's broadcast exactly once. */
async function broadcastEach(
  nodes: MeshNode[],
  senders: MeshNode[],
): Promise<{ payloads: number; ids: Array<{ id: string; from: string }>; hops: Map<string, Map<string, number>> }> {
  const hops = new Map<string, Map<string, number>>();
  for (const node of nodes) {
    const seen = new Map<string, number>();
    hops.set(node.id, seen);
    node.on('message', (_data, info) => {
      if (info.to === null) seen.set(info.id, seen.has(info.id) ? -1 : info.hops);
    });
  }
  const received = collectBroadcasts(nodes);
  counter.reset();
  const ids: Array<{ id: string; from: string }> = [];
  for (const sender of senders) {
    const id = sender.broadcast(`from ${sender.name}`);
    ids.push({ id, from: sender.id });
    await waitFor(() => nodes.every((node) => node === sender || received.get(node)!.includes(id)), `${sender.name}'s broadcast reached every node`);
  }
  // Long enough for the ihave notices and any graft they would cause: nothing more may arrive.
  await sleep(DEFAULT_TREE_OPTIONS.ihaveDelay + DEFAULT_TREE_OPTIONS.graftAfter + 150);
  for (const node of nodes) {
    const expected = ids.filter((entry) => entry.from !== node.id).map((entry) => entry.id).sort();
    assert.equal(received.get(node)!.slice().sort(), expected, `${node.name} delivered each broadcast exactly once`);
  }
  return { payloads: counter.count('msg'), ids, hops };
}

test('converged full mesh: each broadcast costs exactly N-1 payloads, one link deep, delivered once everywhere', async () => {
  const N = 6;
  const nodes = await startMesh(N, (index) => [...Array(index).keys()]);
  await waitFor(() => nodes.every((node) => connectedIds(node).length === N - 1) && viewsAgree(nodes), 'every node linked to every other and holding every current record');
  const { payloads, hops } = await broadcastEach(nodes, nodes);
  assert.is(payloads, N * (N - 1), `payload frames for ${N} broadcasts`);
  for (const node of nodes) for (const [id, links] of hops.get(node.id)!) assert.is(links, 1, `${node.name} got ${id} straight from its origin`);
});

test('converged partial mesh: exactly N-1 payloads per broadcast, each along a shortest path', async () => {
  // A ladder: node i linked to i-1 and i-2 (distances up to 4 links).
  const N = 9;
  const nodes = await startMesh(N, (index) => [index - 1, index - 2].filter((peer) => peer >= 0));
  await waitFor(() => nodes.every((node, index) => connectedIds(node).length === Math.min(index, 2) + Math.min(N - 1 - index, 2)) && viewsAgree(nodes), 'the ladder linked and every record current everywhere');
  const senders = [nodes[0], nodes[4], nodes[8], nodes[5]];
  const { payloads, ids, hops } = await broadcastEach(nodes, senders);
  assert.is(payloads, senders.length * (N - 1), `payload frames for ${senders.length} broadcasts`);
  for (const [index, sender] of senders.entries()) {
    const depth = distances(nodes, sender);
    for (const node of nodes) {
      if (node !== sender) assert.is(hops.get(node.id)!.get(ids[index].id), depth.get(node.id), `links from ${sender.name} to ${node.name}`);
    }
  }
});

test('a node of the tree that drops broadcasts: its children are told (ihave), graft, and get every broadcast once', async () => {
  const N = 9;
  const nodes = await startMesh(N, (index) => [index - 1, index - 2].filter((peer) => peer >= 0));
  await waitFor(() => viewsAgree(nodes) && nodes.every((node) => connectedIds(node).length >= 2), 'the ladder linked and every record current everywhere');
  // From b0, b2's children (smallest-id parent among b1/b2 at depth 1) include b4: b2 silently loses what it pushes.
  dropFrom = new Set([nodes[2]]);
  drop = isType('msg');
  await broadcastEach(nodes, [nodes[0], nodes[8]]);
  assert.ok(counter.count('graft') > 0, 'the gap was repaired by grafts');
});

test('a node of the tree stops: a broadcast sent at once still reaches every remaining node once', async () => {
  const N = 9;
  const nodes = await startMesh(N, (index) => [index - 1, index - 2].filter((peer) => peer >= 0));
  await waitFor(() => viewsAgree(nodes) && nodes.every((node) => connectedIds(node).length >= 2), 'the ladder linked and every record current everywhere');
  await nodes[2].stop();
  const remaining = nodes.filter((node) => node !== nodes[2]);
  await broadcastEach(remaining, [nodes[0], nodes[7]]);
});

test('a broadcast of a node whose links record nobody holds travels the Plumtree links and is delivered once', async () => {
  const N = 6;
  const nodes = await startMesh(N, (index) => [...Array(index).keys()]);
  await waitFor(() => nodes.every((node) => connectedIds(node).length === N - 1) && viewsAgree(nodes), 'a converged full mesh');
  // The newcomer's records are lost on the way: every other node plans without it.
  const joiner = await startNode({ name: 'joiner', peers: nodes.map((node) => node.urls[0]), dialLearnt: false });
  dropFrom = new Set([joiner]);
  drop = isType('links');
  const all = [...nodes, joiner];
  await waitFor(() => connectedIds(joiner).length === N && nodes.every((node) => routers.get(node.id)!.neighbourIds().includes(joiner.id)), 'the joiner linked to every node');
  await broadcastEach(all, [joiner, nodes[0], joiner, nodes[3]]);
  for (const node of nodes) {
    assert.is(routers.get(node.id)!.linksOf(joiner.id), undefined, `${node.name} holds no record of the joiner`);
    assert.ok(routers.get(node.id)!.messenger.tree.stats.unplanned > 0, `${node.name} passed the joiner's broadcasts on without a plan`);
  }
});

test('a browser peer\'s broadcast follows its node\'s tree: N-1 payloads between nodes, two links to every other node', async () => {
  const N = 5;
  const nodes = await startMesh(N, (index) => [...Array(index).keys()]);
  const tab = await RawPeer.join(nodes[2].urls[0], { kind: 'browser', name: 'tab' });
  await waitFor(
    () => viewsAgree(nodes) && nodes.every((node) => liveLinks(node).length === N - 1) && nodes.every((node) => routers.get(node.id)!.homeOf(tab.id) === nodes[2].id),
    'a converged full mesh where every node knows the tab is linked to b2',
  );
  const hops = new Map<string, number>();
  for (const node of nodes) node.on('message', (_data, info) => info.from === tab.id && hops.set(node.name, hops.has(node.name) ? -1 : info.hops));
  counter.reset();
  tab.sendJson(tab.sign({ t: 'msg', id: 'tab00001', from: tab.id, to: null, ttl: 8, hops: 0, data: 'from the tab' }));
  await waitFor(() => hops.size === N, 'every node delivered the tab\'s broadcast');
  await sleep(DEFAULT_TREE_OPTIONS.ihaveDelay + DEFAULT_TREE_OPTIONS.graftAfter + 150);
  assert.equal(Object.fromEntries(hops), Object.fromEntries(nodes.map((node) => [node.name, node === nodes[2] ? 1 : 2])), 'delivered once, over its node');
  assert.is(counter.count('msg'), N - 1, 'payload frames between nodes');
  tab.end();
});

test('a broadcast with a bad signature from its origin: delivered on its link only where it goes no further; a node that would pass it on closes that link', async () => {
  const [a, b] = await startMesh(2, (index) => (index === 1 ? [0] : []));
  const lone = await startNode({ name: 'lone', dialLearnt: false });
  await waitFor(() => connectedIds(a).includes(b.id), 'a and b linked');
  const delivered: string[] = [];
  for (const node of [a, b, lone]) node.on('message', (data, info) => info.to === null && delivered.push(`${node.name}:${String(data)}`));
  const forge = (member: RawPeer, data: string) => ({ ...member.sign({ t: 'msg', id: `${member.id.slice(0, 8)}bad`, from: member.id, to: null, ttl: 8, hops: 0, data: 'signed' }), data });
  // The member's own broadcast, its data changed after signing.
  const toLone = await RawPeer.join(lone.urls[0], { name: 'member' });
  await waitFor(() => connectedIds(lone).includes(toLone.id), 'the member linked to lone');
  toLone.sendJson(forge(toLone, 'to lone'));
  await waitFor(() => delivered.includes('lone:to lone'), 'lone delivered it (its link proves the origin; lone passes it to nobody)');
  const toA = await RawPeer.join(a.urls[0], { name: 'member' });
  await waitFor(() => connectedIds(a).includes(toA.id), 'the member linked to a');
  toA.sendJson(forge(toA, 'to a'));
  const closed = await toA.waitClosed(5000);
  assert.is(closed.code, 4000, 'a checks what it would pass on to b');
  assert.equal(delivered, ['lone:to lone']);
  toLone.end();
});

test.run();
