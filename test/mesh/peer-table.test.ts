import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerTable } from '../../src/mesh/peer-table.ts';

const reconnect = { min: 100, max: 1000, jitter: 0 };
const A = 'ws://10.0.0.1:7447/';
const B = 'ws://10.0.0.2:7447/';

test('a static address is dialled, backs off exponentially on failure, and stops when it proves to be us', () => {
  const table = new PeerTable(reconnect);
  table.addPendingAddress(A, 'static', 0);
  const [target] = table.dueDials(0);
  assert.equal(target, { url: A, source: 'static', peerId: null });
  table.dialStarted(target);
  assert.equal(table.dueDials(0), []);
  assert.is(table.nextDialAt(), null);
  table.dialFailed(target, 1000);
  assert.equal(table.pendingAddresses(), [{ url: A, source: 'static', state: 'backoff', failures: 1, nextRetry: 1100 }]);
  table.dialStarted(target);
  table.dialFailed(target, 2000);
  assert.is(table.nextDialAt(), 2200);
  assert.equal(table.dueDials(2199), []);
  table.markSelf(A);
  assert.equal(table.pendingAddresses(), []);
  assert.ok(table.isSelfUrl(A));
  table.addPendingAddress(A, 'static', 3000);
  assert.equal(table.dueDials(5000), []);
});

test('a refused dial waits the longest backoff', () => {
  const table = new PeerTable(reconnect);
  table.addPendingAddress(A, 'static', 0);
  const [target] = table.dueDials(0);
  table.dialStarted(target);
  table.dialFailed(target, 10, true);
  assert.is(table.nextDialAt(), 1010);
});

test('connect, disconnect, redial: the peer entry keeps its addresses and counts', () => {
  const table = new PeerTable(reconnect);
  table.addPendingAddress(A, 'static', 0);
  const { peer, isNew } = table.learn('p1', 'alice', 'node', 0);
  assert.ok(isNew);
  assert.not.ok(table.learn('p1', 'alice2', 'node', 0).isNew);
  table.attachAddress('p1', A, 'inbound', 0);
  assert.equal(table.pendingAddresses(), []);
  assert.equal(table.get('p1')!.addresses, [{ url: A, source: 'static' }]);
  table.connected('p1', 'outbound', 50);
  table.recordIn('p1', 10, 60);
  table.recordOut('p1', 20);
  table.recordRtt('p1', 8, 70);
  table.recordRtt('p1', 16, 80);
  const connected = table.get('p1')!;
  assert.equal(
    [connected.state, connected.direction, connected.connectedSince, connected.lastSeen, connected.name],
    ['connected', 'outbound', 50, 80, 'alice2'],
  );
  assert.equal(connected.rtt, { last: 16, smoothed: 9 });
  assert.equal([connected.messagesIn, connected.bytesIn, connected.messagesOut, connected.bytesOut], [1, 10, 1, 20]);
  assert.equal(table.dueDials(100), []);
  table.disconnected('p1', 1000);
  assert.equal([peer.state, peer.direction, peer.nextRetry], ['backoff', null, 1100]);
  assert.equal(table.dueDials(1100), [{ url: A, source: 'static', peerId: 'p1' }]);
});

test('an address moves to the peer that answered on it; a peer left without addresses is lost', () => {
  const table = new PeerTable(reconnect);
  table.learn('old', 'old', 'node', 0);
  table.attachAddress('old', A, 'discovery', 0);
  table.learn('new', 'new', 'node', 0);
  table.attachAddress('new', A, 'static', 0);
  assert.equal(table.get('old')!.addresses, []);
  assert.is(table.get('old')!.state, 'lost');
  assert.equal(table.get('new')!.addresses, [{ url: A, source: 'static' }]);
});

test('discovery lost: only static addresses stay; a peer with none left is not dialled', () => {
  const table = new PeerTable(reconnect);
  table.learn('p', 'p', 'node', 0);
  table.attachAddress('p', A, 'discovery', 0);
  table.attachAddress('p', B, 'static', 0);
  assert.equal(table.get('p')!.addresses.map((address) => address.source), ['static', 'discovery']);
  table.forgetDiscovered('p');
  assert.equal(table.get('p')!.addresses, [{ url: B, source: 'static' }]);
  assert.equal(table.dueDials(0), [{ url: B, source: 'static', peerId: 'p' }], 'static addresses keep being dialled');
  table.learn('q', 'q', 'node', 0);
  table.attachAddress('q', A, 'discovery', 0);
  table.attachAddress('q', 'ws://10.0.0.3:7447/', 'inbound', 0);
  table.forgetDiscovered('q');
  assert.equal(table.get('q')!.addresses, []);
  assert.is(table.get('q')!.state, 'lost');
  assert.equal(table.dueDials(10_000).map((target) => target.peerId), ['p']);
});

test('dials rotate through a peer\'s addresses on failures', () => {
  const table = new PeerTable(reconnect);
  table.learn('p', 'p', 'node', 0);
  table.attachAddress('p', A, 'static', 0);
  table.attachAddress('p', B, 'discovery', 0);
  const first = table.dueDials(0)[0];
  table.dialStarted(first);
  table.dialFailed(first, 0);
  assert.equal(table.dueDials(100).map((target) => target.url), [B]);
});

test('routes: peers reachable through others appear with via, and are lost when unreachable', () => {
  const table = new PeerTable(reconnect);
  const routes = new Map([['c', { via: 'b', hops: 2, name: 'carol', kind: 'browser' as const }]]);
  const added = table.applyRoutes(routes, 0);
  assert.equal(added.discovered.map((peer) => [peer.id, peer.name, peer.kind, peer.via, peer.hops, peer.reachable]), [['c', 'carol', 'browser', 'b', 2, true]]);
  assert.equal(table.dueDials(0), []);
  const removed = table.applyRoutes(new Map(), 10);
  assert.equal(removed.lost.map((peer) => [peer.id, peer.state, peer.reachable]), [['c', 'lost', false]]);
});

test('routes: a peer that rejoins under another name (a page whose user chose one) is renamed', () => {
  const table = new PeerTable(reconnect);
  table.applyRoutes(new Map([['c', { via: 'b', hops: 2, name: 'guest-c0de', kind: 'browser' as const }]]), 0);
  const renamed = table.applyRoutes(new Map([['c', { via: 'b', hops: 2, name: 'Carol', kind: 'browser' as const }]]), 10);
  assert.equal(renamed, { discovered: [], lost: [] });
  assert.equal(table.snapshot().map((peer) => [peer.id, peer.name]), [['c', 'Carol']]);
});

test('a peer first heard of through a relay is dialled directly once discovery gives its address', () => {
  const table = new PeerTable(reconnect);
  table.applyRoutes(new Map([['c', { via: 'b', hops: 2, name: 'carol', kind: 'node' as const }]]), 0);
  assert.equal(table.dueDials(0), []);
  table.attachAddress('c', A, 'discovery', 50);
  assert.equal(table.dueDials(50), [{ url: A, source: 'discovery', peerId: 'c' }]);
  assert.is(table.nextDialAt(), 50);
});

test.run();
