/**
 * Dual stack on a namespace LAN (test/lan/lan.ts): hosts 1-2 dual-stack, host 3 IPv6-only (no IPv4 address,
 * no IPv4 multicast route), host 4 with nothing but its IPv6 link-local address. Full wsmesh nodes
 * (test/lan/mesh-node.ts) form a full mesh; host 4 is dialled by the others with the zone of their interface;
 * hostile mDNS packets sent over IPv6 are survived. Needs root, iproute2, nftables, unshare; under CI=true
 * their absence fails the file. Prints MEASURE lines - not asserted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lan, LanProcess } from '../lan/lan.ts';
import { lanSuite } from '../lan/lan-suite.ts';
import { tempKeyFile } from '../mesh/support.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MESH_NODE = path.join(HERE, '../lan/mesh-node.ts');
const DISCOVERY_NODE = path.join(HERE, '../lan/discovery-node.ts');
const SENDER_SCRIPT = path.join(HERE, '../lan/send-packets.ts');
const HOSTS = 4;
const WAIT = 15_000;

type Line = Record<string, unknown>;
interface TableEntry { id: string; state: string; direction: string | null; addresses: Array<{ url: string; source: string }> }

let lan: Lan;
const nodes = new Map<number, { id: string; process: LanProcess }>();

/** The node's latest answer to `table`. */
async function table(node: LanProcess): Promise<TableEntry[]> {
  const since = node.lines.length;
  node.write('table');
  const line = await node.waitFor((l) => l.event === 'table' && node.lines.indexOf(l) >= since, WAIT, 'its peer table');
  return line.peers as TableEntry[];
}

/** Asks every node for its table every 250 ms until each is connected to all others; returns when that happened. */
async function fullMesh(): Promise<number> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const connected = new Map<number, Set<string>>();
    for (const [host, node] of nodes) {
      const entries = await table(node.process);
      connected.set(host, new Set(entries.filter((entry) => entry.state === 'connected').map((entry) => entry.id)));
    }
    if ([...nodes].every(([host]) => [...nodes].every(([other, peer]) => other === host || connected.get(host)!.has(peer.id)))) return Date.now();
    if (Date.now() > deadline) throw new Error(`no full mesh within ${WAIT} ms: ${JSON.stringify([...connected].map(([h, set]) => [h, set.size]))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const getLan = lanSuite(HOSTS);
if (getLan) {
  test.before(() => {
    lan = getLan();
    lan.makeIpv6Only(3);
    lan.makeLinkLocalOnly(4);
  });

  test('dual-stack, IPv6-only and link-local-only hosts form a full mesh; the link-local host is dialled with the zone', async () => {
    // Ids ascending with the host number, as the test had when ids could be chosen: which of two simultaneous
    // connections survives depends on the ids' order.
    const keys = Array.from({ length: HOSTS }, () => tempKeyFile()).sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let host = 1; host <= HOSTS; host++) {
      const { keyFile, id } = keys[host - 1]!;
      // h4 never dials: every link to it is dialled by the others, to its link-local address.
      const extra = host === 4 ? ['--passive'] : [];
      nodes.set(host, { id, process: lan.spawn(host, [process.execPath, '--import', 'tsx', MESH_NODE, '--key-file', keyFile, '--name', `h${host}`, ...extra]) });
    }
    const ready = await Promise.all([...nodes.values()].map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const meshAt = await fullMesh();
    console.log(`MEASURE lan-ipv6-mesh: full mesh of 2 dual-stack, 1 IPv6-only and 1 link-local-only host ${meshAt - Math.max(...ready.map((l) => l.at as number))} ms after the last node was listening`);
    const urlsOf = (entries: TableEntry[], host: number) => entries.find((entry) => entry.id === nodes.get(host)!.id)!.addresses.map((a) => a.url);
    for (const from of [1, 2, 3]) {
      const entries = await table(nodes.get(from)!.process);
      const toH4 = entries.find((entry) => entry.id === nodes.get(4)!.id)!;
      assert.equal(toH4.addresses, [{ url: `ws://[${lan.linkLocal(4)}%25eth0]:8000/`, source: 'discovery' }], `h${from}'s addresses of h4`);
      // Which end dialled is not asserted: after a first link, h4 may redial the address its peers came from. A zoned
      // dial is asserted in lan-static-zone.test.ts.
      // The IPv6-only host is known by its IPv6 addresses only.
      if (from !== 3) assert.equal(urlsOf(entries, 3), [`ws://[${lan.address6(3)}]:8000/`, `ws://[${lan.linkLocal(3)}%25eth0]:8000/`]);
    }
    // Every family a dual-stack peer advertises is kept, IPv4 first.
    assert.equal(urlsOf(await table(nodes.get(1)!.process), 2), ['ws://10.231.0.12:8000/', `ws://[${lan.address6(2)}]:8000/`, `ws://[${lan.linkLocal(2)}%25eth0]:8000/`]);
    // The IPv6-only host sees the dual-stack hosts' IPv4 addresses nowhere: no IPv4 subnet on its interface.
    assert.equal(urlsOf(await table(nodes.get(3)!.process), 1), [`ws://[${lan.address6(1)}]:8000/`, `ws://[${lan.linkLocal(1)}%25eth0]:8000/`]);
  });

  test('hostile mDNS packets over IPv6 (multicast ff02::fb and unicast) leave the IPv6-only host alive and discovering', async () => {
    const watcher = lan.spawn(3, [process.execPath, '--import', 'tsx', DISCOVERY_NODE, '--name', 'w3', '--port', '9003', '--mesh', 'lan-mesh']);
    await watcher.waitFor((l) => l.event === 'ready', WAIT);
    const sender = lan.spawn(2, [
      process.execPath, '--import', 'tsx', SENDER_SCRIPT, '--ipv6', 'eth0', '--to', lan.address6(3), '--to', `${lan.linkLocal(3)}%eth0`,
    ]);
    const sent = await sender.waitFor((l) => l.event === 'sent', WAIT);
    assert.ok((sent.count as number) > 100);
    const late = lan.spawn(1, [process.execPath, '--import', 'tsx', DISCOVERY_NODE, '--name', 'late', '--port', '9001', '--mesh', 'lan-mesh']);
    const lateId = (await late.waitFor((l) => l.event === 'ready', WAIT)).id as string;
    await watcher.waitFor((l: Line) => l.event === 'found' && (l.peer as { id: string }).id === lateId, WAIT, 'found a node started after the attack');
    watcher.write('stats');
    const stats = (await watcher.waitFor((l) => l.event === 'stats', WAIT)).stats as { rejected: Record<string, number>; parserRestarts: number };
    assert.ok(Object.keys(stats.rejected).length >= 5, `rejected ${JSON.stringify(stats.rejected)}`);
    assert.is(stats.parserRestarts, 0);
    for (const [host, node] of nodes) assert.is(node.process.child.exitCode, null, `the mesh node on h${host} is still running`);
    for (const process_ of [watcher, late]) {
      process_.signal('SIGINT');
      assert.is(await process_.exited, 0);
    }
  });
}

test.run();
