/**
 * Discovery on a real LAN of network namespaces (test/lan/lan.ts): 5 hosts, each running a process that only
 * runs discovery (test/lan/discovery-node.ts). Needs root, iproute2, nftables and unshare; under CI=true their
 * absence fails the file. Prints MEASURE lines (time to find all, time to notice a goodbye) - not asserted.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lan, LanProcess } from '../lan/lan.ts';
import { lanSuite } from '../lan/lan-suite.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_SCRIPT = path.join(HERE, '../lan/discovery-node.ts');
const SENDER_SCRIPT = path.join(HERE, '../lan/send-packets.ts');
const MDNS_JS_BROWSER = path.join(HERE, '../lan/mdns-js-browser.cjs');
const HOSTS = 5;
const WAIT = 15_000;

type Line = Record<string, unknown>;
const foundId = (id: string) => (line: Line) => line.event === 'found' && (line.peer as { id: string }).id === id;
const lostId = (id: string) => (line: Line) => line.event === 'lost' && line.id === id;
const count = (node: LanProcess, predicate: (line: Line) => boolean) => node.lines.filter(predicate).length;

let lan: Lan;
const main = new Map<number, { id: string; process: LanProcess }>();

function startNode(host: number, id: string, extra: string[] = []): LanProcess {
  return lan.spawn(host, [process.execPath, '--import', 'tsx', NODE_SCRIPT, '--id', id, '--name', `h${host}`, '--port', String(8000 + host), ...extra]);
}

const getLan = lanSuite(HOSTS);
if (getLan) {
  test.before(() => {
    lan = getLan();
  });

  test(`${HOSTS} hosts with no configuration find each other (and never themselves)`, async () => {
    const started = Date.now();
    for (let host = 1; host <= HOSTS; host++) {
      const id = `n${host}${randomBytes(6).toString('hex')}`;
      main.set(host, { id, process: startNode(host, id) });
    }
    const waits: Array<Promise<Line>> = [];
    for (const [host, node] of main) {
      for (const [other, peer] of main) {
        if (other !== host) waits.push(node.process.waitFor(foundId(peer.id), WAIT, `found ${peer.id}`));
      }
    }
    const founds = await Promise.all(waits);
    const readies = await Promise.all([...main.values()].map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const lastReady = Math.max(...readies.map((l) => l.at as number));
    const lastFound = Math.max(...founds.map((l) => l.at as number));
    console.log(`MEASURE lan-5-hosts: full discovery ${lastFound - lastReady} ms after the last node started discovery (${lastFound - started} ms after spawning ${HOSTS} processes)`);
    for (const [host, node] of main) {
      const found = node.process.lines.filter((l) => l.event === 'found').map((l) => l.peer as { id: string; addresses: string[]; port: number });
      assert.is(found.length, HOSTS - 1, `host ${host} found ${JSON.stringify(found)}`);
      assert.ok(!found.some((peer) => peer.id === node.id));
      for (const peer of found) {
        const peerHost = [...main].find(([, entry]) => entry.id === peer.id)![0];
        // Every family, IPv4 first; the link-local address with the zone of the interface it was heard on.
        assert.equal(peer.addresses, [lan.address(peerHost), lan.address6(peerHost), `${lan.linkLocal(peerHost)}%eth0`]);
        assert.is(peer.port, 8000 + peerHost);
      }
    }
  });

  test('two meshes on one LAN stay apart', async () => {
    const x1 = startNode(1, `x1${randomBytes(6).toString('hex')}`, ['--mesh', 'other-mesh']);
    const x2 = startNode(2, `x2${randomBytes(6).toString('hex')}`, ['--mesh', 'other-mesh']);
    const [x1Ready, x2Ready] = await Promise.all([x1.waitFor((l) => l.event === 'ready', WAIT), x2.waitFor((l) => l.event === 'ready', WAIT)]);
    await x1.waitFor(foundId(x2Ready.id as string), WAIT, 'x1 finds x2');
    await x2.waitFor(foundId(x1Ready.id as string), WAIT, 'x2 finds x1');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past their second announcement
    for (const node of main.values()) {
      assert.is(count(node.process, foundId(x1Ready.id as string)) + count(node.process, foundId(x2Ready.id as string)), 0);
    }
    assert.equal(x1.lines.filter((l) => l.event === 'found').length, 1);
    x1.signal('SIGINT');
    x2.signal('SIGINT');
    await Promise.all([x1.exited, x2.exited]);
  });

  test('two nodes on one host are both found by everyone, without flip-flop', async () => {
    const second = startNode(3, `y3${randomBytes(6).toString('hex')}`, ['--port', '9003']);
    const ready = await second.waitFor((l) => l.event === 'ready', WAIT);
    const secondId = ready.id as string;
    const first = main.get(3)!;
    await Promise.all([...main.values()].map((node) => node.process.waitFor(foundId(secondId), WAIT, 'found the second node on h3')));
    await second.waitFor(foundId(first.id), WAIT, 'the second node finds the first one on its own host');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const node of main.values()) {
      assert.is(count(node.process, foundId(secondId)), 1);
      if (node !== first) assert.is(count(node.process, foundId(first.id)), 1);
      assert.is(count(node.process, (l) => l.event === 'lost'), 0);
    }
    const seen = main.get(1)!.process.lines.find(foundId(secondId))!.peer as { addresses: string[]; port: number };
    assert.equal([seen.addresses, seen.port], [[lan.address(3), lan.address6(3), `${lan.linkLocal(3)}%eth0`], 9003]);
    second.signal('SIGINT');
    await second.exited;
  });

  test('hostile messages of every class sent to port 5353 leave every node alive and discovering', async () => {
    const targets = [...main.keys()].flatMap((host) => ['--to', lan.address(host)]);
    const sender = lan.spawn(4, [process.execPath, '--import', 'tsx', SENDER_SCRIPT, '--interface-address', lan.address(4), ...targets]);
    const sent = await sender.waitFor((l) => l.event === 'sent', WAIT);
    assert.ok((sent.count as number) > 100);
    const late = startNode(4, `z4${randomBytes(6).toString('hex')}`, ['--port', '9004']);
    const lateId = (await late.waitFor((l) => l.event === 'ready', WAIT)).id as string;
    await Promise.all([...main.values()].map((node) => node.process.waitFor(foundId(lateId), WAIT, 'found a node started after the attack')));
    for (const [host, node] of main) {
      assert.is(node.process.child.exitCode, null, `host ${host} is still running`);
      node.process.write('stats');
      const stats = (await node.process.waitFor((l) => l.event === 'stats', WAIT)).stats as { rejected: Record<string, number>; parserRestarts: number };
      assert.ok(Object.keys(stats.rejected).length >= 5, `host ${host} rejected ${JSON.stringify(stats.rejected)}`);
      assert.is(stats.parserRestarts, 0);
    }
    late.signal('SIGINT');
    await late.exited;
  });

  test('without a multicast route mdns-js dies with addMembership ENODEV; our discovery still works', async () => {
    lan.exec(2, ['ip', 'route', 'del', '224.0.0.0/4', 'dev', 'eth0']);
    try {
      const upstream = lan.spawn(2, [process.execPath, MDNS_JS_BROWSER]);
      const code = await upstream.exited;
      assert.is.not(code, 0);
      assert.match(upstream.stderr.join(''), /addMembership ENODEV/);
      const ours = startNode(2, `w2${randomBytes(6).toString('hex')}`, ['--port', '9002']);
      await ours.waitFor(foundId(main.get(1)!.id), WAIT, 'finds h1 without a multicast route');
      assert.is(count(ours, (l) => l.event === 'unavailable'), 0);
      ours.signal('SIGINT');
      await ours.exited;
    } finally {
      lan.exec(2, ['ip', 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
    }
  });

  test('a host with no network: "unavailable" once with the reason, the process keeps running and stops cleanly', async () => {
    const host = lan.addIsolatedHost();
    const lonely = startNode(host, `u0${randomBytes(6).toString('hex')}`);
    const line = await lonely.waitFor((l) => l.event === 'unavailable', WAIT);
    assert.is(
      line.reason,
      'mDNS discovery is unavailable: no network interface with an address other than loopback (no network?). Static peers still work.',
    );
    await lonely.waitFor((l) => l.event === 'ready', WAIT);
    lonely.signal('SIGINT');
    assert.is(await lonely.exited, 0);
    assert.is(count(lonely, (l) => l.event === 'unavailable'), 1);
  });

  test('a node stopped with Ctrl-C is dropped by everyone through its goodbye', async () => {
    const leaving = main.get(HOSTS)!;
    const signalled = Date.now();
    leaving.process.signal('SIGINT');
    const others = [...main.entries()].filter(([host]) => host !== HOSTS).map(([, node]) => node.process);
    await Promise.all(others.map((node) => node.waitFor(lostId(leaving.id), 10_000, 'lost after the goodbye')));
    console.log(`MEASURE lan-goodbye: all ${others.length} others reported the node lost ${Date.now() - signalled} ms after SIGINT (RFC 6762 §10.1 keeps a goodbye record 1 s)`);
    assert.is(await leaving.process.exited, 0);
    main.delete(HOSTS);
  });
}

test.run();
