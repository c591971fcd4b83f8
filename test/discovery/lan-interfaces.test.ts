/**
 * Interfaces that come and go, on a namespace LAN (test/lan/lan.ts): h1 and h2 on the main segment; h3 starts
 * with its only LAN interface on a second segment, gets an interface on the main segment 3 s later (found and
 * finding within a bound), loses that interface's IPv4 and ULA addresses (its goodbye for them is seen), and
 * then loses the interface (it forgets what it learnt only there). Full wsmesh nodes (test/lan/mesh-node.ts).
 * Needs root, iproute2, nftables, unshare; under CI=true their absence fails the file. Prints MEASURE lines.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lan, LanProcess } from '../lan/lan.ts';
import { tempKeyFile } from '../mesh/support.ts';
import { lanSuite } from '../lan/lan-suite.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MESH_NODE = path.join(HERE, '../lan/mesh-node.ts');
const WAIT = 15_000;
const MOVER = 3;

type Line = Record<string, unknown>;
let lan: Lan;
const nodes = new Map<number, { id: string; process: LanProcess }>();
const after = (node: LanProcess, since: number, predicate: (line: Line) => boolean) => (line: Line) => node.lines.indexOf(line) >= since && predicate(line);
const mdnsFound = (id: string, check: (addresses: string[]) => boolean = () => true) => (line: Line) =>
  line.event === 'mdns-found' && line.peer === id && check(line.addresses as string[]);

const getLan = lanSuite(2);
if (getLan) {
  test.before(() => {
    lan = getLan();
    lan.addSegmentHost(MOVER);
  });

  test('a node whose only interface is on another segment finds and is found once an interface on the main segment appears', async () => {
    for (const host of [1, 2, MOVER]) {
      const { keyFile, id } = tempKeyFile();
      nodes.set(host, { id, process: lan.spawn(host, [process.execPath, '--import', 'tsx', MESH_NODE, '--key-file', keyFile, '--name', `h${host}`]) });
    }
    await Promise.all([...nodes.values()].map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const mover = nodes.get(MOVER)!;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.is(mover.process.lines.filter((l) => l.event === 'mdns-found').length, 0, 'nothing found from the other segment');
    const attached = Date.now();
    lan.attachToMain(MOVER);
    const mainAddresses = [lan.address(MOVER), lan.address6(MOVER), `${lan.linkLocal(MOVER)}%eth0`];
    const seen = await Promise.all([
      ...[1, 2].map((host) => nodes.get(host)!.process.waitFor(mdnsFound(mover.id, (a) => a.join() === mainAddresses.join()), WAIT, 'h3 found on the main segment')),
      ...[1, 2].map((host) => mover.process.waitFor(mdnsFound(nodes.get(host)!.id), WAIT, `h3 finds h${host}`)),
    ]);
    console.log(`MEASURE lan-interface-up: h3 found by both others and finding both ${Math.max(...seen.map((l) => l.at as number)) - attached} ms after its interface on the main segment came up`);
    // Found through eth1 only: link-local addresses carry that zone.
    for (const line of seen.slice(2)) assert.ok((line.addresses as string[]).some((a) => a.endsWith('%eth1')), JSON.stringify(line.addresses));
    await Promise.all([1, 2].map((host) => nodes.get(host)!.process.waitFor((l) => l.event === 'connected' && l.peer === mover.id, WAIT, 'connected to h3')));
  });

  test("addresses removed from the interface: the goodbye for them is seen, the others drop them", async () => {
    const mover = nodes.get(MOVER)!;
    const since = [1, 2].map((host) => nodes.get(host)!.process.lines.length);
    lan.ip(MOVER, ['addr', 'del', `${lan.address(MOVER)}/24`, 'dev', 'eth1']);
    lan.ip(MOVER, ['addr', 'del', `${lan.address6(MOVER)}/64`, 'dev', 'eth1']);
    const removed = Date.now();
    const onlyLinkLocal = (a: string[]) => a.join() === `${lan.linkLocal(MOVER)}%eth0`;
    const seen = await Promise.all([1, 2].map((host, index) => {
      const node = nodes.get(host)!.process;
      return node.waitFor(after(node, since[index]!, mdnsFound(mover.id, onlyLinkLocal)), WAIT, 'h3 left with its link-local address only');
    }));
    // A goodbye record lives 1 s (RFC 6762 §10.1); without a goodbye the addresses would stay for their TTL, 120 s.
    console.log(`MEASURE lan-address-goodbye: removed addresses dropped by both others ${Math.max(...seen.map((l) => l.at as number)) - removed} ms after removal`);
    assert.ok(Math.max(...seen.map((l) => l.at as number)) - removed < 10_000);
  });

  test('the interface removed: the node forgets the peers it knew only through it, and finds them again when it is back', async () => {
    const mover = nodes.get(MOVER)!;
    const since = mover.process.lines.length;
    lan.ip(MOVER, ['link', 'del', 'eth1']);
    const removed = Date.now();
    const lost = await Promise.all([1, 2].map((host) =>
      mover.process.waitFor(after(mover.process, since, (l) => l.event === 'mdns-lost' && l.peer === nodes.get(host)!.id), WAIT, `h3 drops h${host}`)));
    console.log(`MEASURE lan-interface-down: h3 dropped both peers ${Math.max(...lost.map((l) => l.at as number)) - removed} ms after its interface was removed`);
    const again = mover.process.lines.length;
    lan.attachToMain(MOVER);
    await Promise.all([1, 2].map((host) => mover.process.waitFor(after(mover.process, again, mdnsFound(nodes.get(host)!.id)), WAIT, `h3 finds h${host} again`)));
  });
}

test.run();
