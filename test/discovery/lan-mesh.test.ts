/**
 * Full wsmesh nodes (src/mesh, default mDNS discovery, no configured peers) on a namespace LAN of 5 hosts, with
 * faults injected at the switch. Needs root, iproute2, nftables, unshare; under CI=true their absence fails the
 * file. Prints MEASURE lines (full mesh, goodbye, cut link) - not asserted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lan, LanProcess } from '../lan/lan.ts';
import { lanSuite } from '../lan/lan-suite.ts';
import { waitUntil } from './support/nodes.ts';
import { tempKeyFile } from '../mesh/support.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_SCRIPT = path.join(HERE, '../lan/mesh-node.ts');
const HOSTS = 5;
const WAIT = 15_000;

type Line = Record<string, unknown>;
let lan: Lan;
const nodes = new Map<number, { id: string; process: LanProcess }>();

function start(host: number, extra: string[] = []): { id: string; process: LanProcess } {
  const { keyFile, id } = tempKeyFile();
  const process_ = lan.spawn(host, [process.execPath, '--import', 'tsx', NODE_SCRIPT, '--key-file', keyFile, '--name', `h${host}`, ...extra]);
  const node = { id, process: process_ };
  nodes.set(host, node);
  return node;
}

/** Peer ids the node's table holds as connected, from its latest answer to `peers`. */
function connectedPeers(node: LanProcess): Set<string> {
  const answers = node.lines.filter((line) => line.event === 'peers');
  return new Set((answers.at(-1)?.connected as string[] | undefined) ?? []);
}

/** Asks every node for its peer table every 250 ms until `condition` holds. */
async function pollTables(condition: () => boolean, what: string): Promise<void> {
  const ask = () => {
    for (const node of nodes.values()) node.process.write('peers');
  };
  ask();
  const timer = setInterval(ask, 250);
  try {
    await waitUntil(condition, what, WAIT);
  } finally {
    clearInterval(timer);
  }
}

async function fullMesh(what: string): Promise<number> {
  try {
    await pollTables(() => {
      for (const [host, node] of nodes) {
        const peers = connectedPeers(node.process);
        for (const [other, peer] of nodes) if (other !== host && !peers.has(peer.id)) return false;
      }
      return true;
    }, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}; peers not connected directly: ${await missingLinks()}`);
  }
  return Date.now();
}

/** For failure messages: each node's table entries of peers it is not connected to. */
async function missingLinks(): Promise<string> {
  const report: string[] = [];
  for (const [host, node] of nodes) {
    node.process.write('table');
    const table = await node.process.waitFor((line) => line.event === 'table', 2000).catch(() => null);
    const entries = (table?.peers as Array<{ state: string }> | undefined) ?? [];
    const missing = entries.filter((entry) => entry.state !== 'connected');
    if (missing.length > 0) report.push(`h${host}: ${JSON.stringify(missing)}`);
  }
  return report.join('; ') || 'none in the tables';
}

const disconnectedWith = (id: string, type: string) => (line: Line) =>
  line.event === 'disconnected' && line.peer === id && (line.reason as { type: string }).type === type;

async function broadcastReachesAll(from: number, text: string): Promise<void> {
  const since = new Map([...nodes].map(([host, node]) => [host, node.process.lines.length]));
  nodes.get(from)!.process.write(`broadcast ${text}`);
  await Promise.all(
    [...nodes].filter(([host]) => host !== from).map(([host, node]) =>
      node.process.waitFor((line) => line.event === 'message' && line.data === text && node.process.lines.indexOf(line) >= since.get(host)!, WAIT, `broadcast "${text}" at h${host}`),
    ),
  );
}

const getLan = lanSuite(HOSTS);
if (getLan) {
  test.before(() => {
    lan = getLan();
  });

  test(`${HOSTS} nodes with no peers configured form a full mesh; a broadcast from each host reaches all others`, async () => {
    const spawned = Date.now();
    for (let host = 1; host <= HOSTS; host++) start(host);
    const ready = await Promise.all([...nodes.values()].map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const meshAt = await fullMesh('a full mesh of 5');
    const lastReady = Math.max(...ready.map((line) => line.at as number));
    console.log(`MEASURE lan-mesh-5: full mesh ${meshAt - lastReady} ms after the last node was listening (${meshAt - spawned} ms after spawning)`);
    for (let host = 1; host <= HOSTS; host++) await broadcastReachesAll(host, `hello from h${host}`);
  });

  test('a node stopped with Ctrl-C is seen to leave through its goodbye, not after a ping timeout', async () => {
    const leaving = nodes.get(5)!;
    const signalled = Date.now();
    leaving.process.signal('SIGINT');
    const others = [...nodes].filter(([host]) => host !== 5).map(([, node]) => node.process);
    const lost = await Promise.all(others.map((node) => node.waitFor((l) => l.event === 'lost' && l.peer === leaving.id, WAIT, 'peer:lost')));
    console.log(`MEASURE lan-mesh-goodbye: lost at all others ${Math.max(...lost.map((l) => l.at as number)) - signalled} ms after SIGINT`);
    assert.is(await leaving.process.exited, 0);
    for (const node of others) assert.is(node.lines.filter(disconnectedWith(leaving.id, 'ping-timeout')).length, 0);
    nodes.delete(5);
    start(5);
    await fullMesh('the restarted node joins');
  });

  test('a host whose link is cut is reported ping-timeout and rejoins when the link comes back', async () => {
    const cut = nodes.get(4)!;
    const others = [...nodes].filter(([host]) => host !== 4).map(([, node]) => node.process);
    const before = others.map((node) => node.lines.length);
    const cutAt = Date.now();
    lan.setLink(4, false);
    const timeouts = await Promise.all(
      others.map((node, index) => node.waitFor((l) => disconnectedWith(cut.id, 'ping-timeout')(l) && node.lines.indexOf(l) >= before[index]!, WAIT, 'ping-timeout')),
    );
    console.log(`MEASURE lan-mesh-cut: ping-timeout at all others ${Math.max(...timeouts.map((l) => l.at as number)) - cutAt} ms after the link was cut (pingInterval 1000, pingTimeout 2000)`);
    lan.setLink(4, true);
    await fullMesh('h4 rejoins after the link is back');
  });

  test('a partition of {1,2} from {3,4,5} heals into one mesh', async () => {
    lan.partition([1, 2], [3, 4, 5]);
    const one = nodes.get(1)!;
    const three = nodes.get(3)!;
    await pollTables(() => !connectedPeers(one.process).has(three.id) && !connectedPeers(three.process).has(one.id), 'the partition to split the mesh');
    await pollTables(() => connectedPeers(nodes.get(3)!.process).has(nodes.get(5)!.id), 'each side stays connected');
    lan.heal();
    await fullMesh('the mesh heals');
    await broadcastReachesAll(1, 'after the partition');
  });

  test('with 30% loss at the switch, a node killed with -9 is disconnected everywhere, and its restart converges to a full mesh', async () => {
    lan.setLoss(30);
    try {
      const victim = nodes.get(3)!;
      victim.process.signal('SIGKILL');
      await victim.process.exited;
      const others = [...nodes].filter(([host]) => host !== 3).map(([, node]) => node.process);
      // The killed process's kernel resets its TCP connections, so peers may see an error before a ping timeout.
      await Promise.all(others.map((node) => node.waitFor((l) => l.event === 'disconnected' && l.peer === victim.id, WAIT, 'the killed node disconnected')));
      nodes.delete(3);
      start(3);
      await fullMesh('full mesh under 30% loss');
      await broadcastReachesAll(3, 'through the loss');
    } finally {
      lan.setLoss(0);
    }
  });
}

test.run();
