// How a links record leaves a node (BroadcastTree.receive with the record's reach), with an in-memory host: the
// nodes the record lists have it from its origin (nothing to them); a node it does not list gets it pushed by one
// node only, the listed neighbour of it with the smallest id (the others announce it); a node whose own record is
// not held is pushed it by each node that has it from the origin with a chance (about BLIND_PUSHES copies in all),
// else it goes by the Plumtree links.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BroadcastTree, DEFAULT_TREE_OPTIONS } from '../../src/mesh/broadcast-tree.ts';
import { BLIND_PUSHES } from '../../src/mesh/record-reach.ts';
import type { TreeHost } from '../../src/mesh/broadcast-tree.ts';

function tree(self: string, neighbours: string[], links: Record<string, string[]>, random = () => 0.99) {
  const sent: Array<{ to: string; t: string; ids?: string[] }> = [];
  const host: TreeHost = {
    selfId: self,
    neighbourIds: () => neighbours,
    isLeaf: () => false,
    transmit: (to, frame) => {
      const message = JSON.parse(String(frame)) as { t: string; ids?: string[] };
      sent.push(message.t === 'ihave' ? { to, t: message.t, ids: message.ids } : { to, t: message.t });
      return true;
    },
    linksOf: (id) => links[id],
  };
  const broadcast = new BroadcastTree(host, { ...DEFAULT_TREE_OPTIONS, ihaveDelay: 1, random });
  return { broadcast, sent };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 20));
const record = '{"t":"links","origin":"o","boot":"b","seq":1,"name":"o","kind":"node","links":[]}';

test('at its origin a record goes to every node neighbour, also to those the Plumtree links treat as lazy', async () => {
  const { broadcast, sent } = tree('o', ['a', 'b', 'c'], {});
  // A first broadcast without a plan makes a the eager link; b and c start lazy.
  broadcast.receive('a', 'msg/1', null, '{"t":"msg"}', Date.now());
  await flush();
  sent.length = 0;
  broadcast.receive(null, 'links/o/1', null, record, Date.now(), { record: 'origin' });
  await flush();
  assert.equal(sent, [{ to: 'a', t: 'links' }, { to: 'b', t: 'links' }, { to: 'c', t: 'links' }]);
  broadcast.stop();
});

test('a listed node pushes a record only to unlisted neighbours it is the designated forwarder of; it announces it to the others', async () => {
  // m got o's record from o. o lists a, m; m's neighbours: o, a (listed), x (whose listed neighbours are a and m:
  // a has the smaller id, a pushes), y (listed neighbour only m: m pushes), w (no record held: pushed with the chance
  // BLIND_PUSHES / 3, for m, o and a; the chance drawn here is over it: announced).
  const { broadcast, sent } = tree('m', ['o', 'a', 'x', 'y', 'w'], { x: ['m', 'a', 'q'], y: ['z', 'm'] });
  broadcast.receive('o', 'links/o/1', null, record, Date.now(), { record: { origin: 'o', listed: new Set(['o', 'a', 'm']) } });
  await flush();
  const pushed = sent.filter((frame) => frame.t === 'links').map((frame) => frame.to);
  const announced = sent.filter((frame) => frame.t === 'ihave').map((frame) => frame.to);
  assert.equal({ pushed: pushed.sort(), announced: announced.sort() }, { pushed: ['y'], announced: ['w', 'x'] });
  broadcast.stop();
});

test('a node that got a record from its origin pushes it to a neighbour whose record it lacks with the chance BLIND_PUSHES / c', async () => {
  assert.is(BLIND_PUSHES, 2);
  const listed = new Set(['o', 'a', 'b', 'c', 'm']);
  const reach = { origin: 'o', listed };
  // m is linked to o, a, b, c (listed; with itself c = 5: the chance is 2/5) and to w1, w2, whose records it lacks.
  for (const [drawn, expected] of [[0.39, { pushed: ['w1', 'w2'], announced: [] }], [0.41, { pushed: [], announced: ['w1', 'w2'] }]] as const) {
    const { broadcast, sent } = tree('m', ['o', 'a', 'b', 'c', 'w1', 'w2'], {}, () => drawn);
    broadcast.receive('o', 'links/o/1', null, record, Date.now(), { record: reach });
    await flush();
    const pushed = sent.filter((frame) => frame.t === 'links').map((frame) => frame.to);
    const announced = sent.filter((frame) => frame.t === 'ihave').map((frame) => frame.to);
    assert.equal({ pushed, announced }, expected, `chance drawn ${drawn}`);
    broadcast.stop();
  }
  // The same record from a (not its origin): no chance is drawn; w1, the first node neighbour met, is the eager
  // Plumtree link, w2 is announced to.
  const { broadcast, sent } = tree('m', ['w1', 'w2', 'a'], {}, () => 0);
  broadcast.receive('a', 'links/o/1', null, record, Date.now(), { record: reach });
  await flush();
  assert.equal(sent, [{ to: 'w1', t: 'links' }, { to: 'w2', t: 'ihave', ids: ['links/o/1'] }]);
  broadcast.stop();
});

test('an unlisted node whose unlisted neighbour has no listed neighbour passes the record on over the Plumtree links', async () => {
  // m is two links from o (got the record from a); v's record lists only m and u: nobody has it from o there.
  const { broadcast, sent } = tree('m', ['a', 'v'], { v: ['m', 'u'] });
  // A broadcast without a plan that came from v makes m -> v an eager link.
  broadcast.receive('v', 'msg/1', null, '{"t":"msg"}', Date.now());
  await flush();
  sent.length = 0;
  broadcast.receive('a', 'links/o/1', null, record, Date.now(), { record: { origin: 'o', listed: new Set(['o', 'a']) } });
  await flush();
  assert.equal(sent, [{ to: 'v', t: 'links' }]);
  broadcast.stop();
});

test.run();
