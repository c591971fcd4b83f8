// How many links a node dials for, and when: the active view first, the full mesh once the nodes it knows stay the
// same (src/mesh/dial-policy.ts). Deterministic: the policy is given the time; the process's turn budget is idle
// unless a test queues work in it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DENSIFY_AFTER_MS, DENSIFY_BUSY_MAX_MS, DENSIFY_BUSY_RECHECK_MS, DENSIFY_PAIR_DEFER_MS, DENSIFY_UNREACHABLE_MS, DIAL_ALL_AT_ONCE,
  DialPolicy, activeViewSize,
} from '../../src/mesh/dial-policy.ts';
import { PeerTable } from '../../src/mesh/peer-table.ts';
import { LANE_ESTABLISHED, turnBudget } from '../../src/transport/turn-budget.ts';

const reconnect = { min: 100, max: 1000, jitter: 0 };
const url = (index: number) => `ws://10.0.${Math.floor(index / 200)}.${(index % 200) + 1}:7447/`;
const SELF = 'm'.repeat(43);

function tableWith(pending: number): PeerTable {
  const table = new PeerTable(reconnect);
  for (let index = 0; index < pending; index++) table.addPendingAddress(url(index), 'static', 0);
  return table;
}

test('the active view: log2(known + 1) + 1 links, at least 4, at most half of maxPeers', () => {
  assert.equal([1, 7, 15, 20, 59, 99, 1000].map((known) => activeViewSize(64, known)), [4, 4, 5, 6, 7, 8, 11]);
  assert.equal(activeViewSize(8, 1000), 4);
  assert.equal(activeViewSize(16, 1000), 8);
});

test(`a node that knows at most ${DIAL_ALL_AT_ONCE} nodes dials them all at once`, () => {
  const policy = new DialPolicy(SELF, tableWith(DIAL_ALL_AT_ONCE), 64);
  assert.equal(policy.limit(0), { limit: 64, recheckAt: null, waits: null });
});

test('more known nodes than that (and fewer than maxPeers): the active view first, all of them once the view stays the same', () => {
  const table = tableWith(20);
  const policy = new DialPolicy(SELF, table, 64);
  assert.is(policy.target(), 64, 'the target is still the full mesh');
  assert.equal(policy.limit(0), { limit: 6, recheckAt: DENSIFY_AFTER_MS, waits: null });
  assert.equal(policy.limit(DENSIFY_AFTER_MS - 1).limit, 6);
  // One more node learnt: the second starts again.
  table.addPendingAddress(url(20), 'static', 500);
  assert.equal(policy.limit(500), { limit: 6, recheckAt: 500 + DENSIFY_AFTER_MS, waits: null });
  const dense = policy.limit(500 + DENSIFY_AFTER_MS);
  assert.is(dense.limit, 64);
  assert.is(dense.recheckAt, 500 + DENSIFY_AFTER_MS + DENSIFY_PAIR_DEFER_MS);
  assert.ok(dense.waits !== null);
  // Of a pair, the smaller id dials first; a static address that no record names is dialled at once.
  const smaller = 'a'.repeat(43);
  const larger = 'z'.repeat(43);
  assert.is(dense.waits({ url: url(1), source: 'static', peerId: smaller }), true);
  assert.is(dense.waits({ url: url(2), source: 'static', peerId: larger }), false);
  assert.is(dense.waits({ url: url(3), source: 'static', peerId: null }), false);
  // A static address that a links record names as a smaller id's waits like that id.
  table.claimPending([[smaller, url(4)]]);
  assert.is(dense.waits({ url: url(4), source: 'static', peerId: null }), true);
  // The claim tells the known count that url(4) is that node: learning its id does not make the view change.
  table.learn(smaller, 'a', 'node', 600);
  table.connected(smaller, 'inbound', 600);
  assert.is(policy.known(), 21);
  // Later everyone is dialled.
  assert.equal(policy.limit(500 + DENSIFY_AFTER_MS + DENSIFY_PAIR_DEFER_MS), { limit: 64, recheckAt: null, waits: null });
});

test('while a node it knows is unreachable, it waits longer before it densifies', () => {
  const table = tableWith(20);
  table.learn('b'.repeat(43), 'b', 'node', 0);
  const policy = new DialPolicy(SELF, table, 64);
  assert.equal(policy.limit(0), { limit: 6, recheckAt: DENSIFY_UNREACHABLE_MS, waits: null });
  assert.is(policy.limit(DENSIFY_UNREACHABLE_MS).limit, 64);
});

test('a node waits for its process while it has queued connection work (for a while at most)', async () => {
  const policy = new DialPolicy(SELF, tableWith(20), 64);
  policy.limit(0);
  let ran = false;
  turnBudget.defer(LANE_ESTABLISHED, () => {
    ran = true;
  });
  try {
    assert.equal(policy.limit(DENSIFY_AFTER_MS), { limit: 6, recheckAt: DENSIFY_AFTER_MS + DENSIFY_BUSY_RECHECK_MS, waits: null });
    assert.is(policy.limit(DENSIFY_AFTER_MS + DENSIFY_BUSY_MAX_MS).limit, 64, 'densifies anyway after DENSIFY_BUSY_MAX_MS');
  } finally {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(ran, 'the queued task ran');
  const idle = new DialPolicy(SELF, tableWith(20), 64);
  idle.limit(0);
  assert.is(idle.limit(DENSIFY_AFTER_MS).limit, 64, 'an idle process: at once');
});

test('beyond maxPeers known nodes, the active view only, for good', () => {
  const table = tableWith(100);
  const policy = new DialPolicy(SELF, table, 64);
  assert.is(policy.target(), 8);
  assert.equal(policy.limit(0), { limit: 8, recheckAt: null, waits: null });
  assert.equal(policy.limit(60_000), { limit: 8, recheckAt: null, waits: null });
});

test('static addresses that records name as known nodes are not counted twice', () => {
  // 40 static addresses, and the same 40 nodes learnt by id from records: 40 known, not 80 (beyond maxPeers 64 it
  // would keep to its active view, and the full mesh of 41 nodes would never form).
  const table = tableWith(40);
  const ids = Array.from({ length: 40 }, (_, index) => `${String(index).padStart(3, '0')}${'x'.repeat(40)}`);
  for (const id of ids) table.learn(id, id.slice(0, 3), 'node', 0);
  const policy = new DialPolicy(SELF, table, 64);
  assert.is(policy.known(), 80, 'unclaimed: counted as possibly other nodes');
  assert.is(table.claimPending(ids.map((id, index) => [id, url(index)])), 40);
  assert.is(policy.known(), 40);
  assert.is(table.claimPending(ids.map((id, index) => [id, url(index)])), 0, 'claimed already: no change');
  assert.is(policy.target(), 64);
});

test.run();
