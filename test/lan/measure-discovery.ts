/**
 * Benchmark (not a test): on a namespace LAN of 5 hosts, measures
 *   - full discovery: from the last node starting discovery until every node has found the 4 others;
 *   - goodbye: from SIGINT of one node until the 4 others report it lost;
 *   - cut link (full mesh nodes, pingInterval 1000 / pingTimeout 2000): from switch port down until the nodes
 *     connected to it report ping-timeout;
 *   - IPv6-only host: full wsmesh nodes, host 5 without IPv4 (address and multicast route removed): from the
 *     last node listening until every node reports a direct connection to every other;
 *   - interface up: host 5 starts with its only interface on another segment; 3 s later it gets an interface on
 *     the main segment: from that interface coming up until host 5 and the 4 others have found each other.
 * Needs root. Usage: node --import tsx test/lan/measure-discovery.ts [--runs N]
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkLanSupport, Lan, type LanProcess } from './lan.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOSTS = 5;
const WAIT = 30_000;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });

type Line = Record<string, unknown>;
const support = checkLanSupport();
if (!support.ok) {
  console.error(`measure-discovery: ${support.reason}`);
  process.exit(1);
}

function spawnAll(lan: Lan, script: string, hosts = HOSTS): Array<{ id: string; process: LanProcess }> {
  return Array.from({ length: hosts }, (_, index) => {
    const host = index + 1;
    const id = `b${host}${randomBytes(7).toString('hex')}`;
    return { id, process: lan.spawn(host, [process.execPath, '--import', 'tsx', path.join(HERE, script), '--id', id, '--name', `h${host}`]) };
  });
}

async function discoveryRun(): Promise<{ fullDiscovery: number; goodbye: number }> {
  const lan = Lan.create(HOSTS);
  try {
    const nodes = spawnAll(lan, 'discovery-node.ts');
    const ready = await Promise.all(nodes.map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const found = await Promise.all(
      nodes.flatMap((node) =>
        nodes.filter((other) => other !== node).map((other) =>
          node.process.waitFor((l: Line) => l.event === 'found' && (l.peer as { id: string }).id === other.id, WAIT)),
      ),
    );
    const fullDiscovery = Math.max(...found.map((l) => l.at as number)) - Math.max(...ready.map((l) => l.at as number));
    const leaving = nodes.at(-1)!;
    const signalled = Date.now();
    leaving.process.signal('SIGINT');
    const lost = await Promise.all(nodes.slice(0, -1).map((node) => node.process.waitFor((l) => l.event === 'lost' && l.id === leaving.id, WAIT)));
    return { fullDiscovery, goodbye: Math.max(...lost.map((l) => l.at as number)) - signalled };
  } finally {
    await lan.destroy();
  }
}

async function cutLinkRun(): Promise<number> {
  const lan = Lan.create(HOSTS);
  try {
    const nodes = spawnAll(lan, 'mesh-node.ts');
    const cut = nodes.at(-1)!;
    const others = nodes.slice(0, -1);
    // Nodes that reach the cut host only through a relay have no link to time out: measure the direct ones.
    const linked = await Promise.all(
      others.map((node) => node.process.waitFor((l) => l.event === 'connected' && l.peer === cut.id, 10_000).then(() => node, () => null)),
    );
    const direct = linked.filter((node) => node !== null);
    if (direct.length === 0) return Number.NaN;
    const cutAt = Date.now();
    lan.setLink(HOSTS, false);
    const timeouts = await Promise.all(
      direct.map((node) =>
        node.process.waitFor((l) => l.event === 'disconnected' && l.peer === cut.id && (l.reason as { type: string }).type === 'ping-timeout', WAIT),
      ),
    );
    return Math.max(...timeouts.map((l) => l.at as number)) - cutAt;
  } finally {
    await lan.destroy();
  }
}

async function ipv6OnlyRun(): Promise<number> {
  const lan = Lan.create(HOSTS);
  try {
    lan.makeIpv6Only(HOSTS);
    const nodes = spawnAll(lan, 'mesh-node.ts');
    const ready = await Promise.all(nodes.map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const connected = await Promise.all(
      nodes.flatMap((node) =>
        nodes.filter((other) => other !== node).map((other) =>
          node.process.waitFor((l) => l.event === 'connected' && l.peer === other.id, WAIT)),
      ),
    );
    return Math.max(...connected.map((l) => l.at as number)) - Math.max(...ready.map((l) => l.at as number));
  } finally {
    await lan.destroy();
  }
}

async function interfaceUpRun(): Promise<number> {
  const lan = Lan.create(HOSTS - 1);
  try {
    lan.addSegmentHost(HOSTS);
    const nodes = spawnAll(lan, 'discovery-node.ts');
    await Promise.all(nodes.map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const mover = nodes.at(-1)!;
    const up = Date.now();
    lan.attachToMain(HOSTS);
    const foundBy = (node: LanProcess, id: string) => node.waitFor((l: Line) => l.event === 'found' && (l.peer as { id: string }).id === id, WAIT);
    const found = await Promise.all(nodes.slice(0, -1).flatMap((node) => [foundBy(node.process, mover.id), foundBy(mover.process, node.id)]));
    return Math.max(...found.map((l) => l.at as number)) - up;
  } finally {
    await lan.destroy();
  }
}

const rows: string[] = [];
const runs = Number(values.runs);
const results = { fullDiscovery: [] as number[], goodbye: [] as number[], cutLink: [] as number[], ipv6Only: [] as number[], interfaceUp: [] as number[] };
for (let run = 0; run < runs; run++) {
  const discovery = await discoveryRun();
  results.fullDiscovery.push(discovery.fullDiscovery);
  results.goodbye.push(discovery.goodbye);
  results.cutLink.push(await cutLinkRun());
  results.ipv6Only.push(await ipv6OnlyRun());
  results.interfaceUp.push(await interfaceUpRun());
}
const median = (values_: number[]) => [...values_].sort((a, b) => a - b)[Math.floor(values_.length / 2)]!;
rows.push(`| measurement (${HOSTS} hosts, ${runs} runs) | median ms | all runs ms |`, '| --- | ---: | --- |');
rows.push(`| full discovery after the last node started | ${median(results.fullDiscovery)} | ${results.fullDiscovery.join(', ')} |`);
rows.push(`| goodbye noticed by all others after SIGINT | ${median(results.goodbye)} | ${results.goodbye.join(', ')} |`);
rows.push(`| cut link reported ping-timeout (ping 1000/2000 ms) | ${median(results.cutLink)} | ${results.cutLink.join(', ')} |`);
rows.push(`| full mesh with one IPv6-only host, after the last node listened | ${median(results.ipv6Only)} | ${results.ipv6Only.join(', ')} |`);
rows.push(`| found both ways after an interface on the main segment came up | ${median(results.interfaceUp)} | ${results.interfaceUp.join(', ')} |`);
console.log(rows.join('\n'));
