/** Dual stack without sockets: the subnet rule, zones, AAAA records, dialling order, zoned ws:// URLs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseWsUrl } from '../../src/handshake/client-handshake.ts';
import { addressOnLink, arrivalInterface, compareAddresses, type InterfaceTable, type SelectedInterface } from '../../src/discovery/mdns/interfaces.ts';
import { wsUrl } from '../../src/mesh/listen-urls.ts';
import { PeerTable } from '../../src/mesh/peer-table.ts';
import { FakeLan } from './support/fake-lan.ts';
import { waitFor } from '../mesh/support.ts';
import { peerAnnouncement, service, startNode, waitForEvent } from './support/nodes.ts';

const ETH0: SelectedInterface[] = [
  { name: 'eth0', address: '10.0.0.1', netmask: '255.255.255.0', family: 'IPv4' },
  { name: 'eth0', address: 'fd00::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' },
  { name: 'eth0', address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' },
];
const WLAN: SelectedInterface[] = [{ name: 'wlan0', address: '192.168.5.2', netmask: '255.255.255.0', family: 'IPv4' }];

test('the interface a message came in on: the zone of a link-local sender, else the subnet holding it', () => {
  const all = [...ETH0, ...WLAN];
  assert.is(arrivalInterface('fe80::9%eth0', all), 'eth0');
  assert.is(arrivalInterface('fe80::9%eth7', all), undefined);
  assert.is(arrivalInterface('10.0.0.9', all), 'eth0');
  assert.is(arrivalInterface('192.168.5.9', all), 'wlan0');
  assert.is(arrivalInterface('fd00::9', all), 'eth0');
  assert.is(arrivalInterface('10.0.1.9', all), undefined);
  assert.is(arrivalInterface('2001:db8::9', all), undefined);
});

test('the subnet rule: only addresses inside the receiving interface, link-local ones with its zone', () => {
  const all = [...ETH0, ...WLAN];
  const on = (address: string, link = 'eth0') => addressOnLink(address, link, all, false);
  assert.equal(
    ['10.0.0.9', 'fd00::9', 'fe80::9', 'FE80::A'].map((address) => on(address)),
    ['10.0.0.9', 'fd00::9', 'fe80::9%eth0', 'FE80::A%eth0'],
  );
  // Another subnet, another interface's subnet, public addresses, multicast, loopback, mapped, unspecified.
  for (const address of ['10.0.1.9', '192.168.5.9', '8.8.8.8', '2001:db8::9', '224.0.0.251', 'ff02::fb', '127.0.0.1', '::1', '::ffff:10.0.0.9', '::', '0.0.0.0']) {
    assert.is(on(address), null, address);
  }
  // An interface without IPv6 takes no IPv6 address, not even link-local.
  assert.is(on('fe80::9', 'wlan0'), null);
  assert.is(addressOnLink('127.0.0.1', 'lo', [{ name: 'lo', address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' }], true), '127.0.0.1');
});

test('dialling order: IPv4, then global/ULA IPv6, then link-local', () => {
  assert.equal(['fe80::2%eth0', 'fd00::9', '10.0.0.9', 'fe80::1%eth0', '10.0.0.10'].sort(compareAddresses), ['10.0.0.10', '10.0.0.9', 'fd00::9', 'fe80::1%eth0', 'fe80::2%eth0']);
});

test('zoned ws:// URLs (RFC 6874): written with %25, dialled on the zone, Host header without it', () => {
  assert.is(wsUrl('fe80::1%eth0', 8000), 'ws://[fe80::1%25eth0]:8000/');
  const parsed = parseWsUrl('ws://[fe80::1%25eth0]:8000/a?b');
  assert.equal([parsed.host, parsed.port, parsed.hostHeader, parsed.resource, parsed.href], ['fe80::1%eth0', 8000, '[fe80::1]:8000', '/a?b', 'ws://[fe80::1%25eth0]:8000/a?b']);
  assert.throws(() => parseWsUrl('ws://[fe80::1%eth0]:8000/'), /invalid WebSocket URL/);
});

const dualStack = (): InterfaceTable => ({
  eth0: ETH0.map((entry) => ({
    address: entry.address, netmask: entry.netmask, family: entry.family, mac: '02:00:00:00:00:01', internal: false,
    cidr: null, ...(entry.family === 'IPv6' ? { scopeid: entry.address.startsWith('fe80') ? 2 : 0 } : {}),
  })) as InterfaceTable[string],
});

test('a forged answer: addresses outside the receiving subnet are refused and counted, AAAA kept, link-local zoned', async () => {
  const lan = new FakeLan();
  const a = await startNode(lan, '10.0.0.1', service('aaa1'), { networkInterfaces: dualStack });
  try {
    const addresses = ['10.0.0.9', '203.0.113.7', 'fd00::9', '2001:db8::9', 'fe80::9'];
    lan.inject(peerAnnouncement(service('forged1'), addresses), { address: '10.0.0.9', port: 5353 });
    const peer = await waitForEvent(a.discovery, 'found', (found: { id: string; addresses: string[] }) => found.id === 'forged1');
    assert.equal(peer[0].addresses, ['10.0.0.9', 'fd00::9', 'fe80::9%eth0']);
    assert.is(a.discovery.stats.rejected["an address outside the receiving interface's subnet"], 2);
  } finally {
    await a.discovery.stop();
  }
});

test('dial failures stay with the address when forged answers move it to new ids', () => {
  const table = new PeerTable({ min: 100, max: 1000, jitter: 0 });
  const url = 'ws://10.0.0.9:7001/';
  let now = 0;
  for (let round = 1; round <= 4; round++) {
    const id = `forged${round}`;
    table.learn(id, id, 'node', now);
    table.setDiscoveredAddresses(id, [url], now);
    const due = table.dueDials(now);
    assert.equal(due.map((target) => target.peerId), round === 1 ? [id] : [], `round ${round}`);
    const next = table.nextDialAt()!;
    now = Math.max(now, next);
    const [target] = table.dueDials(now);
    assert.equal(target!.peerId, id);
    table.dialStarted(target!);
    table.dialFailed(target!, now);
    // 100, 200, 400, 800 ms: the backoff grows across ids instead of starting over.
    assert.is(table.nextDialAt()! - now, 100 * 2 ** (round - 1), `backoff in round ${round}`);
  }
});

test('RFC 6762 §14: two interfaces on one link list each other\'s addresses, so their cache-flush never drops one', async () => {
  const entry = (address: string) => ({ address, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` });
  const alone: InterfaceTable = { eth0: [entry('10.0.0.1')], wlan0: [entry('192.168.5.2')] };
  let table = alone;
  const lan = new FakeLan();
  const a = await startNode(lan, '10.0.0.1', service('aaa1'), { networkInterfaces: () => table, watchInterval: 50 });
  const b = await startNode(lan, '10.0.0.9', service('bbb2', { port: 7002 }));
  const seen = () => JSON.stringify(b.found.filter((peer) => peer.id === 'aaa1').at(-1)?.addresses);
  const until = async (expected: string[], what: string) => {
    const deadline = Date.now() + 5000;
    while (seen() !== JSON.stringify(expected)) {
      if (Date.now() > deadline) throw new Error(`${what}: b sees ${seen()}, expected ${JSON.stringify(expected)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    await until(['10.0.0.1'], 'a found on eth0');
    await pause(1300); // eth0's records are now older than the 1 s a cache-flush spares (§10.2)
    table = { ...alone, eth1: [entry('10.0.0.2')] }; // a second interface on the same link (same subnet)
    await until(['10.0.0.1', '10.0.0.2'], 'eth1 announced');
    await pause(2500); // a flush of 10.0.0.1 by eth1's announcements (twice, 1 s apart) would have happened by now
    assert.is(seen(), JSON.stringify(['10.0.0.1', '10.0.0.2']), 'eth1 did not flush eth0\'s address');
    table = alone; // eth1 goes: eth0 announces its new set, which flushes 10.0.0.2 (not after its 120 s TTL)
    await until(['10.0.0.1'], 'eth1 gone');
  } finally {
    await Promise.all([a.discovery.stop(), b.discovery.stop()]);
  }
});

test('an interface that appears restarts the query schedule: a second query follows about 1 s after the first (one lost answer is not a wait of up to a minute)', async () => {
  const entry = (address: string) => ({ address, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` });
  const before: InterfaceTable = { eth0: [entry('10.0.0.1')] };
  let table = before;
  const lan = new FakeLan();
  const a = await startNode(lan, '10.0.0.1', service('aaa1'), { networkInterfaces: () => table, watchInterval: 50 });
  /** When a's queries (QR bit clear) went out on eth0: one per round (a round sends one message per interface). */
  const queries: number[] = [];
  const sendMulticast = a.transport.sendMulticast.bind(a.transport);
  a.transport.sendMulticast = (message, link) => {
    if (link === 'eth0' && (message[2]! & 0x80) === 0) queries.push(Date.now());
    return sendMulticast(message, link);
  };
  try {
    // Its schedule is at 1 s, 2 s, then 4 s: after the third query the next is 4 s away.
    await waitFor(() => queries.length >= 2, 'two queries after start', 3000);
    const started = queries.length;
    await waitFor(() => queries.length > started, 'the third query', 3000);
    // Counted by position, not by time: the third query may have gone out in the millisecond eth1 appears.
    const sent = queries.length;
    table = { ...before, eth1: [entry('10.0.1.1')] };
    await waitFor(() => queries.length >= sent + 2, 'two query rounds after eth1 appeared', 2500);
    const [first, second] = queries.slice(sent);
    assert.ok(second! - first! >= 900, `the second query ${second! - first!} ms after the first (RFC 6762 §5.2: at least 1 s)`);
  } finally {
    await a.discovery.stop();
  }
});

test.run();
