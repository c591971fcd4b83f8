import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshTag } from '../../src/discovery/discovery.ts';
import { encodeMessage } from '../../src/discovery/mdns/packet-writer.ts';
import { guardPacket } from '../../src/discovery/mdns/packet-guard.ts';
import { FakeLan } from './support/fake-lan.ts';
import { HOSTILE_PACKETS } from './support/hostile-packets.ts';
import { peerAnnouncement, service, sleep, startNode, waitForEvent, waitUntil, withTtl, type TestNode } from './support/nodes.ts';

const started: TestNode[] = [];
async function node(lan: FakeLan, address: string, id: string, overrides = {}, options = {}): Promise<TestNode> {
  const created = await startNode(lan, address, service(id, overrides), options);
  started.push(created);
  return created;
}
test.after.each(async () => {
  await Promise.all(started.splice(0).map((entry) => entry.discovery.stop()));
});

const SOURCE = { address: '10.0.0.50', port: 5353 };

test('three nodes find each other, each exactly once, and never themselves', async () => {
  const lan = new FakeLan();
  const nodes = await Promise.all([node(lan, '10.0.0.1', 'aaa1'), node(lan, '10.0.0.2', 'bbb2'), node(lan, '10.0.0.3', 'ccc3')]);
  await sleep(1500); // past the second announcement: no duplicate events
  for (const entry of nodes) {
    const others = nodes.filter((other) => other !== entry);
    assert.equal(
      entry.found.map((peer) => peer.id).sort(),
      others.map((other) => other.self.id).sort(),
    );
  }
  assert.equal(nodes[0]!.found.find((peer) => peer.id === 'bbb2'), {
    id: 'bbb2',
    name: 'node-bbb2',
    mesh: meshTag('test-mesh'),
    version: 1,
    addresses: ['10.0.0.2'],
    port: 7000,
    path: '/',
    source: 'mdns',
  });
});

test('other meshes and other protocol versions are ignored', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  lan.inject(peerAnnouncement(service('other1', { mesh: 'another-mesh' }), ['10.0.0.7']), { address: '10.0.0.7', port: 5353 });
  lan.inject(peerAnnouncement(service('future1', { version: 2 }), ['10.0.0.8']), { address: '10.0.0.8', port: 5353 });
  lan.inject(peerAnnouncement(service('good1'), ['10.0.0.9']), { address: '10.0.0.9', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'good1');
  assert.equal(a.found.map((peer) => peer.id), ['good1']);
});

test('stop() sends the goodbye (TTL 0) before closing the socket; the others drop the node at once', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  const b = await startNode(lan, '10.0.0.2', service('bbb2'));
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'bbb2');
  const lost = waitForEvent(a.discovery, 'lost', (id: string) => id === 'bbb2');
  await b.discovery.stop();
  assert.equal(b.transport.events.slice(-2), ['multicast', 'close']);
  const goodbye = lan.log.filter((entry) => entry.from.address === '10.0.0.2').at(-1)!;
  const layout = guardPacket(goodbye.bytes);
  assert.ok(layout.ok);
  if (layout.ok) assert.equal(layout.records.map((record) => record.ttl), [0, 0, 0, 0]);
  await lost;
  assert.equal(a.lost, ['bbb2']);
});

test('records whose TTL runs out are forgotten (lost without goodbye)', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  lan.inject(peerAnnouncement(service('short1'), ['10.0.0.9'], withTtl(1)), { address: '10.0.0.9', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'short1');
  await waitForEvent(a.discovery, 'lost', (id: string) => id === 'short1', 3000);
});

test('two nodes on one host (same address) are both found, with no flip-flop', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  await node(lan, '10.0.0.2', 'bbb2', { port: 7001 });
  await node(lan, '10.0.0.2', 'ccc3', { port: 7002 });
  await sleep(2500);
  assert.equal(a.found.map((peer) => [peer.id, peer.port, peer.addresses]).sort(), [
    ['bbb2', 7001, ['10.0.0.2']],
    ['ccc3', 7002, ['10.0.0.2']],
  ]);
  assert.equal(a.lost, []);
});

test('loopback addresses learnt from the network are never offered; the sender address stands in', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  lan.inject(peerAnnouncement(service('mixed1'), ['127.0.0.1', '10.0.0.9']), { address: '10.0.0.9', port: 5353 });
  lan.inject(peerAnnouncement(service('loop1'), ['127.0.0.1']), { address: '10.0.0.8', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'loop1');
  assert.equal(a.found.map((peer) => [peer.id, peer.addresses]), [['mixed1', ['10.0.0.9']], ['loop1', ['10.0.0.8']]]);
});

test('addresses are merged per peer id across instances', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  lan.inject(peerAnnouncement(service('multi1', { name: 'first' }), ['10.0.0.20']), { address: '10.0.0.20', port: 5353 });
  lan.inject(peerAnnouncement(service('multi1', { name: 'second' }), ['10.0.0.21']), { address: '10.0.0.21', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { addresses: string[] }) => peer.addresses.length === 2);
  assert.equal(a.discovery.knownPeers().map((peer) => [peer.id, peer.addresses]), [['multi1', ['10.0.0.20', '10.0.0.21']]]);
});

test('known answers inside a query are not sightings (bug 5), unusual PTR names do not throw (bug 2)', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  for (const packet of HOSTILE_PACKETS) lan.inject(packet.bytes, SOURCE);
  lan.inject(peerAnnouncement(service('after1'), ['10.0.0.9']), { address: '10.0.0.9', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'after1');
  assert.equal(a.found.map((peer) => peer.id), ['after1']);
  assert.is(a.discovery.stats.parserRestarts, 0);
  const rejected = Object.values(a.discovery.stats.rejected).reduce((sum, count) => sum + count, 0);
  assert.is(rejected, HOSTILE_PACKETS.filter((packet) => packet.guardReason !== null).length);
});

test('a question asking for a unicast reply ("QU") is answered by unicast (bug 6: mdns-js ignored it)', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  const query = encodeMessage({ response: false, questions: [{ name: '_wsmesh._tcp.local', type: 12, unicastResponse: true }] });
  lan.inject(query, SOURCE);
  await waitUntil(() => a.transport.events.includes('unicast 10.0.0.50:5353'), 'the unicast reply');
  const reply = lan.log.find((entry) => entry.to !== 'multicast')!;
  const layout = guardPacket(reply.bytes);
  assert.ok(layout.ok && layout.isResponse);
  if (layout.ok) assert.equal(layout.records.map((record) => record.type), [12, 33, 16, 1]);
});

test('the first query asks for unicast replies (RFC 6762 §5.4), the next ones do not', async () => {
  const lan = new FakeLan();
  await node(lan, '10.0.0.1', 'aaa1');
  const queries = () => lan.log.filter((entry) => entry.from.address === '10.0.0.1' && (entry.bytes[2]! & 0x80) === 0);
  await waitUntil(() => queries().length >= 2, 'two queries', 4000);
  const classes = queries().map((entry) => {
    const layout = guardPacket(entry.bytes);
    return layout.ok ? layout.records[0]!.class : -1;
  });
  assert.equal(classes.slice(0, 2), [0x8001, 0x0001]);
});

test('a legacy unicast query (source port not 5353) gets the id, the question and TTLs of at most 10 s', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  const query = encodeMessage({ id: 0x1234, response: false, questions: [{ name: '_wsmesh._tcp.local', type: 12 }] });
  lan.inject(query, { address: '10.0.0.50', port: 40000 });
  await waitUntil(() => a.transport.events.includes('unicast 10.0.0.50:40000'), 'the legacy unicast reply');
  const reply = lan.log.find((entry) => entry.to !== 'multicast')!;
  const layout = guardPacket(reply.bytes);
  assert.ok(layout.ok);
  if (!layout.ok) return;
  assert.is(layout.id, 0x1234);
  assert.equal(layout.records.map((record) => [record.section, record.type]), [['question', 12], ['answer', 12], ['additional', 33], ['additional', 16], ['additional', 1]]);
  assert.ok(layout.records.slice(1).every((record) => record.ttl <= 10 && (record.class & 0x8000) === 0));
});

test('a query that already holds our PTR as a known answer is not answered (RFC 6762 §7.1)', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  await sleep(2100); // 1 s past the second announcement (RFC 6762 §6 rate limit)
  const instance = 'node-aaa1 (aaa1)._wsmesh._tcp.local';
  const before = a.transport.events.length;
  lan.inject(encodeMessage({
    response: false,
    questions: [{ name: '_wsmesh._tcp.local', type: 12 }],
    answers: [{ name: '_wsmesh._tcp.local', cacheFlush: false, ttl: 4500, data: { kind: 'ptr', target: instance } }],
  }), SOURCE);
  // Messages are handled in order: once this later announcement is in, the query was handled too.
  lan.inject(peerAnnouncement(service('marker1'), ['10.0.0.9']), { address: '10.0.0.9', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'marker1');
  await sleep(150); // longer than the 20-120 ms delay of a shared answer
  assert.equal(a.transport.events.slice(before), []);
  lan.inject(encodeMessage({ response: false, questions: [{ name: '_wsmesh._tcp.local', type: 12 }] }), SOURCE);
  await waitUntil(() => a.transport.events.length > before, 'the multicast answer');
  assert.equal(a.transport.events.slice(before), ['multicast']);
});

test('responses not from port 5353 and messages from off-link senders are ignored (RFC 6762 §11)', async () => {
  const lan = new FakeLan();
  const a = await node(lan, '10.0.0.1', 'aaa1');
  lan.inject(peerAnnouncement(service('port1'), ['10.0.0.9']), { address: '10.0.0.9', port: 40000 });
  lan.inject(peerAnnouncement(service('far1'), ['192.168.5.5']), { address: '192.168.5.5', port: 5353 });
  lan.inject(peerAnnouncement(service('ok1'), ['10.0.0.7']), { address: '10.0.0.7', port: 5353 });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'ok1');
  assert.equal(a.found.map((peer) => peer.id), ['ok1']);
  assert.equal(a.discovery.stats.rejected, { 'response not sent from port 5353': 1, 'sender is not on a local link': 1 });
});

test('a responder missed by the first query is found by a later one (bug 5: mdns-js queried once)', async () => {
  const lan = new FakeLan();
  const silent = lan.transport('10.0.0.9');
  await silent.open([]);
  let queries = 0;
  silent.on('message', (bytes, from) => {
    if (from.address !== '10.0.0.1' || (bytes[2]! & 0x80) !== 0) return;
    queries++;
    if (queries === 2) void silent.sendMulticast(peerAnnouncement(service('late1'), ['10.0.0.9']), 'eth0');
  });
  const a = await node(lan, '10.0.0.1', 'aaa1');
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'late1', 4000);
  assert.is(queries, 2);
  await silent.close();
});

test('no usable interface: "unavailable" once with the reason, start() resolves, stop() works', async () => {
  const lan = new FakeLan();
  const loopbackOnly = () => ({ lo: FakeLan.interfaces('10.0.0.1')().lo });
  const a = await node(lan, '10.0.0.1', 'aaa1', {}, { networkInterfaces: loopbackOnly, retryInterval: 20 });
  await sleep(100);
  assert.equal(a.unavailable, [
    'mDNS discovery is unavailable: no network interface with an address other than loopback (no network?). Static peers still work.',
  ]);
  const named = await node(lan, '10.0.0.2', 'bbb2', {}, { interface: 'eth7' });
  assert.equal(named.unavailable, ['mDNS discovery is unavailable: network interface "eth7" does not exist or is down. Static peers still work.']);
});

test('joining the group fails (e.g. ENODEV): unavailable once, then mDNS comes up when it works again', async () => {
  const lan = new FakeLan();
  const b = await node(lan, '10.0.0.2', 'bbb2');
  const transport = lan.transport('10.0.0.1');
  transport.failOpen = new Error('addMembership ENODEV');
  const { MdnsDiscovery } = await import('../../src/discovery/mdns/mdns-discovery.ts');
  const discovery = new MdnsDiscovery({ transport, networkInterfaces: FakeLan.interfaces('10.0.0.1'), retryInterval: 100 });
  const reasons: string[] = [];
  discovery.on('unavailable', (reason) => reasons.push(reason));
  try {
    await discovery.start(service('aaa1'));
    await sleep(250);
    transport.failOpen = null;
    await waitForEvent(discovery, 'found', (peer: { id: string }) => peer.id === 'bbb2', 3000);
    assert.equal(reasons, ['mDNS discovery is unavailable: cannot join the mDNS group on eth0: addMembership ENODEV. Static peers still work.']);
    assert.ok(b.found.some((peer) => peer.id === 'aaa1'));
  } finally {
    await discovery.stop();
  }
});

test('interface "lo" is allowed when named, and then loopback addresses are dialable', async () => {
  const lan = new FakeLan();
  const loopback = () => ({ lo: FakeLan.interfaces('127.0.0.1')().lo });
  const a = await node(lan, '127.0.0.1', 'aaa1', {}, { interface: 'lo', networkInterfaces: loopback });
  const b = await node(lan, '127.0.0.1', 'bbb2', { port: 7002 }, { interface: 'lo', networkInterfaces: loopback });
  await waitForEvent(a.discovery, 'found', (peer: { id: string }) => peer.id === 'bbb2');
  assert.equal(a.found[0]!.addresses, ['127.0.0.1']);
  assert.equal(b.unavailable, []);
});

test.run();
