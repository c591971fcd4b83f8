import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay } from '../../src/mesh/backoff.ts';
import { DedupCache } from '../../src/wire/dedup-cache.js';
import { PingTracker } from '../../src/mesh/ping-tracker.ts';
import { Topology } from '../../src/mesh/topology.ts';

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
  assert.ok(topology.accept(record('b', 2, ['a', 'c'])));
  assert.not.ok(topology.accept(record('b', 1, ['a'])));
  assert.not.ok(topology.accept(record('a', 9, ['b'])));
  assert.ok(topology.accept(record('c', 1, ['b', 'd'])));
  const routes = topology.routes([{ id: 'b', name: 'b', kind: 'node' }]);
  assert.equal(Object.fromEntries([...routes].map(([id, route]) => [id, [route.via, route.hops]])), { b: ['b', 1], c: ['b', 2], d: ['b', 3] });
  assert.equal(topology.routes([]).size, 0);
});

test.run();
