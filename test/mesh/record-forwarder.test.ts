// How a links record leaves a node (BroadcastTree.receive with the record's reach), with an in-memory host: the
// nodes the record lists have it from its origin (nothing to them); a node it does not list gets it pushed by one
// node only, the listed neighbour of it with the smallest id (the others announce it); a node whose own record is
// not held goes by the Plumtree links.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BroadcastTree, DEFAULT_TREE_OPTIONS } from '../../src/mesh/broadcast-tree.ts';
import type { TreeHost } from '../../src/mesh/broadcast-tree.ts';

function tree(self: string, neighbours: string[], links: Record<string, string[]>) {
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
  const broadcast = new BroadcastTree(host, { ...DEFAULT_TREE_OPTIONS, ihaveDelay: 1 });
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
  // a has the smaller id, a pushes), y (listed neighbour only m: m pushes), w (no record held: Plumtree links).
  const { broadcast, sent } = tree('m', ['o', 'a', 'x', 'y', 'w'], { x: ['m', 'a', 'q'], y: ['z', 'm'] });
  broadcast.receive('o', 'links/o/1', null, record, Date.now(), { record: { origin: 'o', listed: new Set(['o', 'a', 'm']) } });
  await flush();
  const pushed = sent.filter((frame) => frame.t === 'links').map((frame) => frame.to);
  const announced = sent.filter((frame) => frame.t === 'ihave').map((frame) => frame.to);
  // w: only the first node neighbour met (o) is an eager Plumtree link; a record from its origin changes nothing there.
  assert.equal({ pushed: pushed.sort(), announced: announced.sort() }, { pushed: ['y'], announced: ['w', 'x'] });
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
