import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay } from '../../src/mesh/backoff.ts';
import { DedupCache } from '../../src/wire/dedup-cache.js';
import { PingTracker } from '../../src/mesh/ping-tracker.ts';
import { MAX_CHAIN, Topology } from '../../src/mesh/topology.ts';
import { linksDelta, linksRecord } from '../../src/mesh/envelope.ts';

const reconnect = { min: 250, max: 30_000, jitter: 0.2 };

test('backoff doubles from min to max; jitter spreads within +-jitter', () => {
  const middle = () => 0.5;
  assert.equal([1, 2, 3, 4, 8, 9, 50].map((failures) => backoffDelay(failures, reconnect, middle)), [250, 500, 1000, 2000, 30_000, 30_000, 30_000]);
  assert.is(backoffDelay(1, reconnect, () => 0), 200);
  assert.is(backoffDelay(1, reconnect, () => 0.999999), 300);
  assert.is(backoffDelay(20, reconnect, () => 0.999999), 30_000);
});

test('dedup cache: duplicates refused, bounded by count and by age', () => {
  const cache = new DedupCache(3, 1000);
  assert.ok(cache.add('a', 0));
  assert.not.ok(cache.add('a', 1));
  cache.add('b', 2);
  cache.add('c', 3);
  cache.add('d', 4);
  assert.is(cache.size, 3);
  assert.not.ok(cache.has('a'));
  assert.ok(cache.add('a', 5));
  assert.ok(cache.add('e', 2000));
  assert.is(cache.size, 1);
});

test('ping tracker: payload identifies the ping; unmatched pongs ignored; a pong settles older pings', () => {
  const pings = new PingTracker();
  const first = pings.next(100);
  const second = pings.next(200);
  assert.is(first.payload, 'wsmesh-ping 1');
  assert.is(pings.pong(Buffer.from('wsmesh-ping 9'), 250), null);
  assert.is(pings.pong(Buffer.from('hello'), 250), null);
  assert.is(pings.pong(Buffer.from(second.payload), 260), 60);
  assert.not.ok(pings.isOutstanding(first.seq));
  assert.is(pings.pong(Buffer.from(first.payload), 270), null);
});

test('topology: newest record per origin wins; routes found breadth first', () => {
  const topology = new Topology('a');
  const record = (origin: string, seq: number, links: string[]) => ({
    t: 'links' as const, origin, boot: 'b0', seq, name: origin, kind: 'node' as const, links: links.map((id) => ({ id, name: id, kind: 'node' as const })),
  });
  assert.is(topology.accept(record('b', 2, ['a', 'c'])), 'fresh');
  assert.is(topology.accept(record('b', 1, ['a'])), 'stale');
  assert.is(topology.accept(record('a', 9, ['b'])), 'stale');
  assert.is(topology.accept(record('c', 1, ['b', 'd'])), 'fresh');
  const routes = topology.routes([{ id: 'b', name: 'b', kind: 'node' }]);
  assert.equal(Object.fromEntries([...routes].map(([id, route]) => [id, [route.via, route.hops]])), { b: ['b', 1], c: ['b', 2], d: ['b', 3] });
  assert.equal(topology.routes([]).size, 0);
});

test('topology: a node that went away is not reached through others until a newer record of its own comes', () => {
  const topology = new Topology('a');
  const record = (origin: string, seq: number, links: string[]) => ({
    t: 'links' as const, origin, boot: 'b0', seq, name: origin, kind: 'node' as const, links: links.map((id) => ({ id, name: id, kind: 'node' as const })),
  });
  const reached = (neighbours: string[]) => [...topology.routes(neighbours.map((id) => ({ id, name: id, kind: 'node' as const }))).keys()].sort();
  topology.accept(record('b', 1, ['a', 'x']));
  topology.accept(record('x', 5, ['a', 'b', 'y']));
  assert.equal(reached(['b']), ['b', 'x', 'y']);
  topology.departed('x');
  assert.equal(reached(['b']), ['b'], 'not through b, and nothing beyond x');
  assert.equal(reached(['b', 'x']), ['b', 'x', 'y'], 'as a neighbour again it is reached directly');
  assert.is(topology.accept(record('x', 4, ['b'])), 'stale');
  assert.equal(reached(['b']), ['b']);
  assert.is(topology.accept(record('x', 6, ['b'])), 'fresh');
  assert.equal(reached(['b']), ['b', 'x'], 'a newer record (a restart) brings it back');
  // Gone before any record of it was held: any record brings it back.
  topology.departed('z');
  topology.accept(record('b', 2, ['a', 'x', 'z']));
  assert.equal(reached(['b']), ['b', 'x']);
  topology.accept(record('z', 1, ['b']));
  assert.equal(reached(['b']), ['b', 'x', 'z']);
});

test('topology: deltas apply to the record they name; one whose base is missing waits and is applied when it comes', () => {
  const topology = new Topology('a');
  const entry = (id: string) => ({ id, name: id, kind: 'node' as const });
  const ids = () => topology.record('b')?.links.map((link) => link.id);
  const full = linksRecord('b', 'boot', 10, 'b', [entry('a'), entry('c')]);
  const d1 = linksDelta('b', 'boot', 11, 'b', 10, [entry('d')], ['c']);
  const d2 = linksDelta('b', 'boot', 12, 'b', 11, [entry('e')], []);
  assert.is(topology.accept(d1), 'gap', 'no base held');
  assert.ok(topology.isWaiting(d1));
  assert.is(topology.missing('b'), 11);
  assert.is(topology.accept(d1), 'gap', 'a copy of a waiting delta is not applied on its own');
  assert.is(topology.record('b'), undefined);
  assert.is(topology.accept(full), 'fresh');
  assert.equal(ids(), ['a', 'd'], 'the waiting delta was applied once its base came');
  assert.is(topology.missing('b'), null);
  assert.not.ok(topology.isWaiting(d1));
  assert.is(topology.accept(d1), 'stale');
  assert.is(topology.accept(d2), 'fresh');
  assert.equal(ids(), ['a', 'd', 'e']);
  assert.equal(topology.chain('b', null).map((record) => record.seq), [10, 11, 12], 'what a node holding nothing is sent');
  assert.equal(topology.chain('b', 11).map((record) => record.seq), [12], 'only the deltas after the one held');
  assert.equal(topology.chain('b', 5).map((record) => record.seq), [10, 11, 12]);
  assert.is(topology.accept(linksDelta('b', 'other-boot', 13, 'b', 12, [], ['a'])), 'gap', 'a delta of another run never applies');
  const restart = linksRecord('b', 'boot', 20, 'b', [entry('f')]);
  assert.is(topology.accept(restart), 'fresh');
  assert.equal(topology.chain('b', null), [restart], 'a full record starts a new chain');
  assert.equal(topology.routes([entry('b')]).size, 2);
  // An origin's chain is bounded: deltas beyond MAX_CHAIN are refused until a full record.
  let seq = 20;
  for (let index = 1; index < MAX_CHAIN; index++, seq++) assert.is(topology.accept(linksDelta('b', 'boot', seq + 1, 'b', seq, [entry(`x${index}`)], [])), 'fresh');
  assert.is(topology.accept(linksDelta('b', 'boot', seq + 1, 'b', seq, [entry('y')], [])), 'stale');
});

test.run();
