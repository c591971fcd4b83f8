/**
 * Reproductions of the mdns-js 1.0.3 bugs our discovery works around, run against mdns-js itself with a fake
 * network object (no sockets). They pin down why each work-around exists; if an upgrade fixes a bug, its test
 * here fails and the work-around can be reconsidered. Bug 6's ENODEV crash needs a namespace: see
 * test/discovery/lan-discovery.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MDNS_JS_VERSION } from '../../src/discovery/mdns/constants.ts';
import { header, name, resource, txtData } from './support/hostile-packets.ts';

const require = createRequire(import.meta.url);
const mdnsPath = require.resolve('mdns-js');
const requireMdns = createRequire(mdnsPath);
const { DNSPacket, DNSRecord } = requireMdns('dns-js');
const Browser = requireMdns('./lib/browser');
const Advertisement = requireMdns('./lib/advertisement');
const Networking = requireMdns('./lib/networking');
const packetFactory = requireMdns('./lib/packetfactory');
const { ServiceType } = requireMdns('./lib/service_type');

/** Stands in for mdns-js's Networking: records what is sent, never opens a socket. */
class FakeNetworking extends EventEmitter {
  sent: Array<{ answer: Array<{ name: string; type: number; class: number; ttl: number }> }> = [];
  users: unknown[] = [];
  addUsage(user: unknown, next: () => void) {
    this.users.push(user);
    setImmediate(next);
  }
  removeUsage() {}
  send(packet: { answer: Array<{ name: string; type: number; class: number; ttl: number }> }, next?: () => void) {
    this.sent.push(packet);
    next?.();
  }
  stop() {}
}

const CONNECTION = { networkInterface: 'eth0', interfaceIndex: 0 };

function feed(networking: EventEmitter, bytes: Buffer, address: string): void {
  networking.emit('packets', [DNSPacket.parse(bytes)], { address, port: 5353 }, CONNECTION);
}

const ptr = (owner: string, target: string, ttl = 120) =>
  Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name(owner), 12, 1, ttl, name(target))]);

test('the pinned version is the one the work-arounds were written against', () => {
  assert.is(requireMdns('./package.json').version, MDNS_JS_VERSION);
});

test('bug 1: an 18-byte message with a self-referencing pointer freezes the parser (killed after 1.5 s)', () => {
  const script = `require(${JSON.stringify(requireMdns.resolve('dns-js'))}).DNSPacket.parse(Buffer.from('0000000000010000000000000c0c000c0001'.replace('0c0c', 'c00c'), 'hex'))`;
  const child = spawnSync(process.execPath, ['-e', script], { timeout: 1500, killSignal: 'SIGKILL' });
  assert.is(child.signal, 'SIGKILL');
});

test('bug 2: unusual service names in PTR records throw inside the browser', () => {
  const networking = new FakeNetworking();
  new Browser(networking, '_wsmesh._tcp');
  for (const type of ['_a._b._c._tcp.local', '_foo._sctp.local', '_averyveryverylongservicename._tcp.local', '_.local']) {
    assert.throws(() => feed(networking, ptr(type, `x.${type}`), '10.0.0.5'), /protocol must be|more than 20|must start with/);
  }
});

test('bug 3: TXT values are split on dots; 192+ byte strings and empty TXT break the message; the writer breaks past 512 bytes and past offset 255', () => {
  const packet = new DNSPacket(0x8400);
  packet.answer.push({ name: 'x.local', type: 16, class: 1, ttl: 120, data: { ver: '1.2.3' } });
  assert.equal(DNSPacket.parse(DNSPacket.toBuffer(packet)).answer[0].data, ['ver=1', '2', '3']);

  const withTxt = (rdata: Buffer) =>
    Buffer.concat([header(0x8400, [0, 2, 0, 0]), resource(name('x.local'), 16, 1, 120, rdata), resource(name('y.local'), 1, 1, 120, Buffer.from([10, 0, 0, 1]))]);
  assert.throws(() => DNSPacket.parse(withTxt(txtData(Buffer.alloc(200, 0x61)))), /Cannot seek after EOF/);
  const empty = DNSPacket.parse(withTxt(Buffer.alloc(0)));
  assert.is.not(empty.answer[1].name, 'y.local', 'the record after an empty TXT is misread');

  const big = new DNSPacket(0x8400);
  for (let i = 0; i < 12; i++) big.answer.push({ name: `host${i}-abcdefghijklmnopqrstuvwxyz.local`, type: 1, class: 1, ttl: 120, address: `10.0.0.${i}` });
  assert.throws(() => DNSPacket.toBuffer(big), RangeError);

  const far = new DNSPacket(0x8400);
  for (let i = 0; i < 7; i++) far.answer.push({ name: `h${i}-abcdefghijklmnopqrstuvwxyz.example`, type: 1, class: 1, ttl: 120, address: `10.0.0.${i}` });
  far.answer.push({ name: 'late.zzz', type: 1, class: 1, ttl: 120, address: '10.0.0.9' }, { name: 'again.zzz', type: 1, class: 1, ttl: 120, address: '10.0.0.10' });
  assert.throws(() => DNSPacket.toBuffer(far), /out of range/);
});

test('bug 4: Advertisement.stop() closes the sockets before its goodbye has left, and keeps answering for the stopped service only', async () => {
  const order: string[] = [];
  const datagrams: Buffer[] = [];
  const networking = new Networking();
  networking.addUsage = (user: unknown, next: () => void) => {
    networking.users.push(user);
    setImmediate(next);
  };
  const socket = {
    send: (bytes: Buffer, _o: number, _l: number, _p: number, _a: string, done: () => void) => {
      order.push('send');
      datagrams.push(bytes);
      setImmediate(() => {
        order.push('left');
        done();
      });
    },
    address: () => ({ address: '10.0.0.1' }),
    close: () => order.push('close'),
    unref: () => {},
  };
  const connection = { socket, counters: { sent: 0 } };
  networking.connections = [connection];
  const a = new Advertisement(networking, new ServiceType('_wsmesh._tcp'), 4000, { name: 'A' });
  const b = new Advertisement(networking, new ServiceType('_wsmesh._tcp'), 4001, { name: 'B' });
  a.start();
  b.start();
  await new Promise((resolve) => setTimeout(resolve, 1200)); // 3 probes of 250 ms, then published
  order.length = 0;
  a.stop();
  assert.equal(order.slice(0, 2), ['send', 'close'], 'the socket is closed while the goodbye is still queued');
  assert.equal(networking.connections, [], 'the shared sockets are gone for B too');
  // Even with the sockets back, only the stopped A answers: stop() kept A and dropped B.
  networking.connections = [connection];
  datagrams.length = 0;
  const query = Buffer.concat([header(0, [1, 0, 0, 0]), name('_wsmesh._tcp.local'), Buffer.from([0, 12, 0, 1])]);
  networking.emit('packets', [DNSPacket.parse(query)], { address: '10.0.0.9', port: 5353 }, CONNECTION);
  // SRV data is priority 0, weight 0, port: A's port (4000) is answered (under an empty name), B's (4001) never.
  const srvOf = (port: number) => Buffer.from([0, 0, 0, 0, port >> 8, port & 0xff]);
  assert.ok(datagrams.length > 0 && datagrams.every((bytes) => bytes.includes(srvOf(4000)) && !bytes.includes(srvOf(4001))));
});

test('bug 5: the browser reports every type, believes known answers (even from 127.0.0.1), flip-flops per address, has no removal, asks once', () => {
  const networking = new FakeNetworking();
  const browser = new Browser(networking, '_wsmesh._tcp');
  const updates: Array<{ type?: unknown[]; addresses: string[]; port?: number }> = [];
  browser.on('update', (data: { type?: unknown[]; addresses: string[]; port?: number }) => updates.push(data));
  feed(networking, ptr('_http._tcp.local', 'web._http._tcp.local'), '10.0.0.5');
  assert.is(String(updates.at(-1)!.type![0]), '_http._tcp');
  const knownAnswerQuery = Buffer.concat([
    header(0, [1, 1, 0, 0]),
    name('_wsmesh._tcp.local'), Buffer.from([0, 12, 0, 1]),
    resource(name('_wsmesh._tcp.local'), 12, 1, 120, name('ghost._wsmesh._tcp.local')),
  ]);
  feed(networking, knownAnswerQuery, '127.0.0.1');
  assert.equal(updates.at(-1)!.addresses, ['127.0.0.1']);
  const instance = (label: string, port: number) => {
    const packet = new DNSPacket(0x8400);
    packet.answer.push({ name: '_wsmesh._tcp.local', type: 12, class: 1, ttl: 120, data: `${label}._wsmesh._tcp.local` });
    packet.answer.push({ name: `${label}._wsmesh._tcp.local`, type: 33, class: 1, ttl: 120, priority: 0, weight: 0, port, target: 'h.local' });
    return DNSPacket.toBuffer(packet);
  };
  const before = updates.length;
  for (const [label, port] of [['a', 1000], ['b', 2000], ['a', 1000], ['b', 2000]] as const) feed(networking, instance(label, port), '10.0.0.7');
  assert.equal(updates.slice(before).map((u) => u.port), [1000, 2000, 1000, 2000], 'each sighting overwrites the other');
  feed(networking, ptr('_wsmesh._tcp.local', 'a._wsmesh._tcp.local', 0), '10.0.0.7');
  assert.equal(browser.eventNames(), ['update'], 'a goodbye is just another update; there is no removal event');
  browser.discover();
  assert.is(networking.sent.length, 1);
});

test('bug 6: cache-flush on the shared PTR record; questions asking for a unicast reply are ignored', async () => {
  const service = { options: { name: 'A' }, nameSuffix: '', port: 4000, serviceType: new ServiceType('_wsmesh._tcp'), alias: 'A._wsmesh._tcp.local' };
  const packet = packetFactory.buildANPacket.apply(service, [120]);
  const pointer = packet.answer.find((record: { type: number; name: string }) => record.type === 12 && record.name === '_wsmesh._tcp.local');
  assert.is(pointer.class & 0x8000, 0x8000);

  const networking = new FakeNetworking();
  const advertisement = new Advertisement(networking, new ServiceType('_wsmesh._tcp'), 4000, { name: 'Q' });
  advertisement.start();
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const sentBefore = networking.sent.length;
  const quQuery = Buffer.concat([header(0, [1, 0, 0, 0]), name('_wsmesh._tcp.local'), Buffer.from([0, 12, 0x80, 1])]);
  networking.emit('packets', [DNSPacket.parse(quQuery)], { address: '10.0.0.9', port: 5353 }, CONNECTION);
  assert.is(networking.sent.length, sentBefore, 'no answer to a QU question');
  const qmQuery = Buffer.concat([header(0, [1, 0, 0, 0]), name('_wsmesh._tcp.local'), Buffer.from([0, 12, 0, 1])]);
  networking.emit('packets', [DNSPacket.parse(qmQuery)], { address: '10.0.0.9', port: 5353 }, CONNECTION);
  assert.ok(networking.sent.length > sentBefore, 'the same question without the QU bit is answered');
  void DNSRecord;
});

test.run();
