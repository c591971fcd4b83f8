// Links records go from their origin straight to the nodes they list (issue 14): the origin pushes its record to
// every node neighbour, the others pass it on only to nodes the record does not list. In a full mesh a record costs
// N-1 frames, all sent by its origin, each received once; nobody relays.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLink } from '../../src/mesh/link.ts';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
import { recordsComplete, startFullMesh, tablesAgree, tablesComplete, waitForFullMesh } from './support.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';

interface SentRecord {
  sender: string;
  receiver: string;
  origin: string;
  seq: number;
  /** Whether the record says the stopped node's link is gone: a delta naming it gone, or a whole list without it. */
  drops: (id: string) => boolean;
}

const original = PeerLink.prototype.send;
let nodes: MeshNode[] = [];
let sent: SentRecord[] = [];

test.before(() => {
  PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
    if (typeof frame === 'string' && frame.startsWith('{"t":"links"')) {
      const record = JSON.parse(frame) as { origin: string; seq: number; base?: number; gone?: string[]; links: Array<{ id: string }> };
      const drops = (id: string) => (record.base === undefined ? record.links.every((entry) => entry.id !== id) : (record.gone ?? []).includes(id));
      const remote = this.remote;
      const sender = remote === null ? undefined : nodes.find((node) => liveLink(node, remote.id) === this);
      if (sender !== undefined) sent.push({ sender: sender.id, receiver: this.remote!.id, origin: record.origin, seq: record.seq, drops });
    }
    return original.call(this, frame);
  };
});
test.after.each(async () => {
  await stopAllNodes();
  nodes = [];
  sent = [];
});
test.after(() => {
  PeerLink.prototype.send = original;
});

test('a converged full mesh: a node stops, each other node\'s new record is sent by its origin to each remaining node once, relayed by none', async () => {
  nodes = await startFullMesh(6);
  await waitForFullMesh(nodes);
  // Nothing from forming may be in flight when counting starts.
  await waitFor(() => recordsComplete(nodes), 'every node holds every record of the full mesh');
  const [gone, ...running] = [nodes[5]!, ...nodes.slice(0, 5)];
  sent = [];
  await gone.stop();
  await waitFor(() => tablesAgree(running, [gone]) && running.every((node) => connectedIds(node).length === 4), 'the others dropped the stopped node');
  // Every remaining node issues a record without the stopped node.
  const dropsGone = (record: SentRecord) => record.drops(gone.id);
  await waitFor(
    () => running.every((origin) => running.every((receiver) => receiver === origin || sent.some((record) => record.origin === origin.id && record.receiver === receiver.id && dropsGone(record)))),
    'each node\'s new record reached every other remaining node',
  );
  const relayed = sent.filter((record) => record.sender !== record.origin);
  assert.equal(relayed, [], 'no node passes on a record whose origin is linked to everyone');
  const copies = new Map<string, number>();
  for (const record of sent) copies.set(`${record.origin} ${record.seq} ${record.receiver}`, (copies.get(`${record.origin} ${record.seq} ${record.receiver}`) ?? 0) + 1);
  assert.equal([...copies.values()].filter((count) => count > 1), [], 'no node receives a record twice');
  // Each record went to all 4 other remaining nodes (and none to the stopped one after it stopped).
  const receivers = new Map<string, Set<string>>();
  for (const record of sent) {
    const key = `${record.origin} ${record.seq}`;
    receivers.set(key, (receivers.get(key) ?? new Set()).add(record.receiver));
  }
  for (const [key, to] of receivers) assert.is(to.size, 4, `record ${key} sent to ${to.size} nodes`);
});

test('a digest answer leaves out the records passed on over the link since it came up, not those from before', async () => {
  const a = await startNode({ name: 'a' });
  const reachable = (id: string) => a.peers().some((peer) => peer.id === id && peer.reachable);
  const record = (peer: RawPeer, seq: number, beyond: string) =>
    peer.sign({ t: 'links', origin: peer.id, boot: `${peer.id}-boot`, seq, name: peer.id.slice(0, 4), kind: 'node', links: [{ id: a.id, name: 'a', kind: 'node' }, { id: beyond, name: 'far', kind: 'node' }] });
  // p1's record reaches a before m links to it; p2's after.
  const p1 = await RawPeer.join(a.urls[0], { name: 'p1' });
  const x = createIdentity(nodeCrypto).id;
  p1.sendJson(record(p1, 1001, x));
  await waitFor(() => reachable(x), 'a routes to x through p1');
  const m = await RawPeer.join(a.urls[0], { name: 'm' });
  await waitFor(() => connectedIds(a).includes(m.id), 'm linked');
  const p2 = await RawPeer.join(a.urls[0], { name: 'p2' });
  const y = createIdentity(nodeCrypto).id;
  p2.sendJson(record(p2, 2001, y));
  await waitFor(() => reachable(y), 'a routes to y through p2');
  // a passed p2's record on to m (pushed: a has it from p2 and no record of m, RecordForwarding.blindShare; or announced).
  const told = (message: Record<string, unknown>) => (message.t === 'links' && message.origin === p2.id) || (message.t === 'ihave' && (message.ids as string[]).includes(`links/${p2.id}/2001`));
  await waitFor(() => m.messages().some(told), 'a passed p2\'s record on to m');
  const before = m.messages('links').length;
  m.sendJson({ t: 'digest', have: [] });
  await waitFor(() => m.messages('links').slice(before).some((message) => message.origin === p1.id), 'a answered the digest with p1\'s record');
  await sleep(300); // an answer is sent at once, in one turn: nothing more comes
  assert.equal(m.messages('links').slice(before).filter((message) => message.origin !== a.id).map((message) => message.origin), [p1.id]);
  for (const peer of [p1, p2, m]) peer.end();
});

test('a digest answer holds the base of a delta passed on since the link came up (the neighbour has the delta, not its base)', async () => {
  const a = await startNode({ name: 'a' });
  const reachable = (id: string) => a.peers().some((peer) => peer.id === id && peer.reachable);
  const p1 = await RawPeer.join(a.urls[0], { name: 'p1' });
  const [x, y] = [createIdentity(nodeCrypto).id, createIdentity(nodeCrypto).id];
  const base = { t: 'links', origin: p1.id, boot: `${p1.id}-boot`, name: 'p1', kind: 'node' } as const;
  const full = p1.sign({ ...base, seq: 1001, links: [{ id: a.id, name: 'a', kind: 'node' }, { id: x, name: 'x', kind: 'node' }] });
  const delta = p1.sign({ ...base, seq: 1002, base: 1001, links: [{ id: y, name: 'y', kind: 'node' }], gone: [] });
  p1.sendJson(full);
  await waitFor(() => reachable(x), 'a routes to x through p1');
  // m links to a; then p1's delta comes, and a passes it on to m.
  const m = await RawPeer.join(a.urls[0], { name: 'm' });
  await waitFor(() => connectedIds(a).includes(m.id), 'm linked');
  p1.sendJson(delta);
  await waitFor(() => reachable(y), 'a applied the delta');
  const told = (message: Record<string, unknown>) => (message.t === 'links' && message.origin === p1.id) || (message.t === 'ihave' && (message.ids as string[]).includes(`links/${p1.id}/1002`));
  await waitFor(() => m.messages().some(told), 'a passed the delta on to m');
  const before = m.messages('links').filter((message) => message.origin === p1.id).length;
  m.sendJson({ t: 'digest', have: [] });
  await waitFor(() => m.messages('links').filter((message) => message.origin === p1.id).length > before, 'a answered with p1\'s full record');
  await sleep(300);
  assert.equal(m.messages('links').filter((message) => message.origin === p1.id).slice(before), [full]);
  for (const peer of [p1, m]) peer.end();
});

test('a digest over a link that replaced another is answered with the record pushed over the first (lost with it), not one pushed over the link itself', async () => {
  // The case seen in a 100-node mesh: two nodes dial each other at once; the record pushed over the first link is
  // dropped when that link is replaced by the second, and the second changes no links (no new record follows).
  const a = await startNode({ name: 'a' });
  const identity = createIdentity(nodeCrypto);
  const first = await RawPeer.join(a.urls[0], { name: 'm', identity, boot: 'boot-1' });
  const own = (peer: RawPeer) => peer.messages('links').filter((message) => message.origin === a.id);
  await waitFor(() => own(first).some((record) => (record.links as Array<{ id: string }>).some((entry) => entry.id === first.id)), 'a pushed its record listing m');
  const record = own(first).at(-1)!;
  // A record pushed over this very link is on its way: a digest without it gets no copy.
  first.sendJson({ t: 'digest', have: [] });
  await sleep(300);
  assert.is(own(first).length, 1);
  // m's second connection (m restarted: another boot) replaces the first; a's links do not change.
  const second = await RawPeer.join(a.urls[0], { name: 'm', identity, boot: 'boot-2' });
  await waitFor(() => first.close !== null, 'the first link was replaced');
  second.sendJson({ t: 'digest', have: [] });
  await waitFor(() => own(second).length > 0, 'a answered the digest with its own record');
  await sleep(300);
  assert.equal(own(second), [record]);
  // A digest that holds it gets nothing more.
  second.sendJson({ t: 'digest', have: [[a.id, record.seq as number]] });
  await sleep(300);
  assert.is(own(second).length, 1);
  second.end();
});

test('two meshes formed apart join through one link: every table lists every node of both (records from before the link travel in the digests)', async () => {
  // Nodes learnt from records are not dialled: the one link a1-b1 is all the two halves share.
  const half = async (prefix: string) => {
    const members: MeshNode[] = [];
    for (let index = 0; index < 3; index++) members.push(await startNode({ name: `${prefix}${index}`, peers: members.map((node) => node.urls[0]), dialLearnt: false }));
    await waitFor(() => tablesComplete(members), `mesh ${prefix} formed`);
    return members;
  };
  const a = await half('a');
  const b = await half('b');
  await waitFor(() => a.concat(b).every((node) => node.peers().filter((peer) => peer.state === 'connected').length === 2), 'each half quiet with its own links');
  a[0]!.addPeer(b[0]!.urls[0]);
  await waitFor(() => tablesComplete(a.concat(b)), 'every node reaches the five others');
  assert.equal(a.concat(b).map((node) => node.peers().filter((peer) => peer.reachable).length), [5, 5, 5, 5, 5, 5]);
});

test('the designated neighbour drops a record on its way to a node it does not list: the other neighbour announced it, that node grafts it', async () => {
  // o - a, o - b, a - x, b - x (learnt nodes not dialled): o's records reach x through a or b, whichever id is smaller.
  const o = await startNode({ name: 'o', dialLearnt: false });
  const a = await startNode({ name: 'a', peers: [o.urls[0]], dialLearnt: false });
  const b = await startNode({ name: 'b', peers: [o.urls[0]], dialLearnt: false });
  const x = await startNode({ name: 'x', peers: [a.urls[0], b.urls[0]], dialLearnt: false });
  nodes = [o, a, b, x];
  await waitFor(() => tablesComplete(nodes), 'four nodes reach each other');
  const designated = a.id < b.id ? a : b;
  await sleep(1500); // x's record (listing a and b) has reached a and b, and o's records are settled
  let dropped = 0;
  const passOn = PeerLink.prototype.send;
  PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
    if (typeof frame === 'string' && frame.startsWith('{"t":"links"') && (JSON.parse(frame) as { origin: string }).origin === o.id && this.remote?.id === x.id && liveLink(designated, x.id) === this) {
      dropped++;
      return Buffer.byteLength(frame);
    }
    return passOn.call(this, frame);
  };
  try {
    // z links to o only: x reaches z only once it holds o's new record.
    const z = await startNode({ name: 'z', peers: [o.urls[0]], dialLearnt: false });
    await waitFor(() => x.peers().some((peer) => peer.id === z.id && peer.reachable), 'x reaches z through o\'s new record');
    assert.ok(dropped > 0, 'the designated neighbour was the one that pushed o\'s record to x (and dropped it)');
  } finally {
    PeerLink.prototype.send = passOn;
  }
});

test.run();
