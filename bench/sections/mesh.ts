import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from '../lib/children.ts';
import type { BenchConfig } from '../lib/config.ts';
import { formatNumber } from '../lib/format.ts';
import { sleep } from '../lib/rounds.ts';
import { percentile } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import { buildPlain, compiledHarness } from '../lib/ours.ts';
import type { ScaleFigures } from '../mesh/scale-process.ts';

/**
 * Mesh figures: 5 nodes (one process each) on 127.0.0.1 with static peers: time until every node has a
 * direct link to every other, then broadcast latency (one broadcast at a time, until all 4 peers got it).
 * Scale (issue 14): N = 10, 30, 60, 100 nodes in one process with an event-loop monitor, and 12 nodes as
 * separate processes; every node is given every earlier one as a static peer (the full mesh mDNS gives).
 * Time to full mesh over mDNS on the namespace LAN is not measured here yet.
 */

/** Whether a child script ran compiled by tsc (bench/lib/ours.ts) or through tsx. */
function harnessNote(script: string): string {
  return compiledHarness(script) === null
    ? 'The harness in each node process ran through tsx (no compiled harness).'
    : 'The harness in each node process is compiled by tsc like the library (no tsx in those processes).';
}

const nodeScript = fileURLToPath(new URL('../mesh/mesh-node-process.ts', import.meta.url));
const scaleScript = fileURLToPath(new URL('../mesh/scale-process.ts', import.meta.url));
const meshNodeSource = fileURLToPath(new URL('../../src/mesh/node.ts', import.meta.url));
const NODE_COUNT = 5;

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

export async function runMeshSection(config: BenchConfig): Promise<Table[]> {
  if (!existsSync(meshNodeSource)) {
    return [{ title: 'Mesh', headers: ['figure', 'value'], rows: [['broadcast latency, 5 nodes', 'not yet (src/mesh/node.ts does not exist)']] }];
  }
  return [await fiveNodes(config), await inOneProcess(config), await twelveProcesses(config)];
}

/** Spawns `count` node processes into `nodes` (pinned alternately), then starts node i with nodes 0..i-1 as peers. */
async function startNodeProcesses(nodes: BenchChild[], count: number, cpus: string[], prefix: string): Promise<number> {
  for (let i = 0; i < count; i++) nodes.push((await startChild({ script: nodeScript, cpu: cpus[i % cpus.length] })).child);
  const started = performance.now();
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const { url } = await nodes[i]!.request<{ url: string }>('start', { name: `${prefix}-${i}`, peers: [...urls] });
    urls.push(url);
  }
  return started;
}

/** One broadcast from `sender`; resolves with the latency to each other node, in microseconds. */
async function broadcastLatencies(nodes: BenchChild[], sender: BenchChild, text: string, timeoutMs: number): Promise<number[]> {
  const receivers = nodes.filter((node) => node !== sender);
  const sentAt = BigInt(await sender.request<string>('broadcast', { text }));
  let times: Array<string | null> = [];
  await waitUntil(
    async () => {
      times = await Promise.all(receivers.map((node) => node.request<string | null>('received', { text })));
      return times.every((time) => time !== null);
    },
    timeoutMs,
    `${text} to reach all peers`,
  );
  return times.map((time) => Number(BigInt(time!) - sentAt) / 1000);
}

async function fiveNodes(config: BenchConfig): Promise<Table> {
  const cpus = [config.serverCpu, config.clientCpu];
  const nodes: BenchChild[] = [];
  try {
    const started = await startNodeProcesses(nodes, NODE_COUNT, cpus, 'bench');
    const allLinked = async () => (await Promise.all(nodes.map((node) => node.request<number>('connected')))).every((count) => count === NODE_COUNT - 1);
    await waitUntil(allLinked, 20_000, 'a full mesh of 5 nodes');
    const fullMeshMs = performance.now() - started;

    const broadcasts = config.quick ? 20 : 300;
    const toAll: number[] = [];
    const toEach: number[] = [];
    for (let seq = 0; seq < broadcasts; seq++) {
      const latencies = await broadcastLatencies(nodes, nodes[seq % NODE_COUNT]!, `bench broadcast ${seq}`, 5000);
      toEach.push(...latencies);
      toAll.push(Math.max(...latencies));
    }
    return {
      title: `Mesh: ${NODE_COUNT} nodes on 127.0.0.1`,
      headers: ['figure', 'p50', 'p99'],
      rows: [
        ['time to full mesh (static peers, each node dials the earlier ones)', `${formatNumber(fullMeshMs, 1)} ms`, ''],
        [`broadcast latency to each peer (${broadcasts} broadcasts)`, `${formatNumber(percentile(toEach, 50), 1)} us`, `${formatNumber(percentile(toEach, 99), 1)} us`],
        ['broadcast latency until all 4 peers have it', `${formatNumber(percentile(toAll, 50), 1)} us`, `${formatNumber(percentile(toAll, 99), 1)} us`],
        ['time to full mesh over mDNS on the namespace LAN', 'not yet', ''],
      ],
      notes: [`One node per process, pinned alternately to CPUs ${cpus.join(' and ')}; one broadcast at a time, senders rotating; times from process.hrtime (monotonic, system-wide).`],
    };
  } finally {
    await Promise.all(nodes.map((node) => node.request('stop').catch(() => {}).then(() => node.stop())));
  }
}


const ms = (value: number | null) => (value === null ? 'not within the limit' : `${formatNumber(value, 1)} ms`);

/**
 * N nodes in one process (one child per N), default options except maxPeersPerAddress. With --base COMMIT, each
 * N also runs that commit's build right before this tree's (columns "@base"); --mesh-sizes picks the N.
 */
async function inOneProcess(config: BenchConfig): Promise<Table> {
  const sizes = config.meshSizes ?? (config.quick ? [10] : [10, 30, 60, 100]);
  const idleMs = config.quick ? 1000 : 10_000;
  const broadcasts = config.quick ? 5 : 20;
  const baseBuild = config.base === null ? null : buildPlain(config.base);
  if (baseBuild?.startsWith('error:')) throw new Error(`--base: ${baseBuild}`);
  const results: Array<ScaleFigures & { label: string }> = [];
  for (const count of sizes) {
    for (const build of baseBuild === null ? [undefined] : [baseBuild, undefined]) {
      const { child } = await startChild({ script: scaleScript, cpu: config.meshCpus });
      try {
        const figures = await child.request<ScaleFigures>('run', { count, idleMs, broadcasts, build });
        results.push({ ...figures, label: `N = ${count}${build === undefined ? '' : ` @${config.base}`}` });
      } finally {
        await child.stop();
      }
    }
  }
  const row = (figure: string, value: (result: ScaleFigures) => string) => [figure, ...results.map(value)];
  return {
    title: 'Mesh at scale: N nodes in one process (full mesh of static peers, default options)',
    headers: ['figure', ...results.map((result) => result.label)],
    rows: [
      row('time until every table lists everyone', (r) => ms(r.completeMs)),
      row('time until links and records settled (then 1 s without a links frame or a connection opened or closed)', (r) => ms(r.quietMs)),
      row('direct links per node 5 s later: mean (min..max)', (r) => `${formatNumber(r.links.mean, 1)} (${r.links.min}..${r.links.max})`),
      row(`idle CPU of the process (${idleMs / 1000} s)`, (r) => `${formatNumber(r.idle.cpuPercent, 1)} %`),
      row('idle mesh bytes/s (all nodes; pings not counted)', (r) => formatNumber(r.idle.bytesPerSecond, 0)),
      row('idle links records/s', (r) => formatNumber(r.idle.framesPerSecond.links ?? 0, 1)),
      row('broadcast payload transmissions (N-1)', (r) => `${formatNumber(r.broadcast.payloadsPerBroadcast, 1)} (${r.nodes - 1})`),
      row('first broadcast (after the idle window)', (r) => formatNumber(r.broadcast.firstPayloads, 0)),
      row('ihave notices per broadcast (lazy, ids only)', (r) => formatNumber(r.broadcast.ihaveMessages, 1)),
      row('broadcast time to all: p50 / p99', (r) => `${formatNumber(r.broadcast.toAllP50, 1)} / ${formatNumber(r.broadcast.toAllP99, 1)} ms${r.broadcast.missed ? ` (${r.broadcast.missed} not everywhere in 10 s)` : ''}`),
      row('acked direct send: p50 / p99', (r) => `${formatNumber(r.send.p50, 2)} / ${formatNumber(r.send.p99, 2)} ms${r.send.unacked ? ` (${r.send.unacked} not acked in 10 s)` : ''}`),
      row('tables agree after 20 % of nodes stop', (r) => ms(r.churn.agreeMs)),
      row('longest event-loop stall: forming / afterwards', (r) => `${formatNumber(r.formingStallMs, 0)} / ${formatNumber(r.maxStallMs, 0)} ms`),
    ],
    notes: [
      `One child process per N, on CPUs ${config.meshCpus} (taskset; \`--mesh-cpus LIST\`; nothing else runs meanwhile: the process and its own V8 and libuv threads); node i is given nodes 0..i-1 as static peers; maxPeers 64 (default), maxPeersPerAddress 64 (all share 127.0.0.1), pingInterval 5000. ${harnessNote(scaleScript)}`,
      `Broadcasts: ${broadcasts} one at a time from rotating senders after a first one; transmissions are full-payload msg frames over all links (a tree needs N-1). Idle: ${idleMs / 1000} s, starting after the first full second without a links frame and without a connection opened or closed (every link has formed and every record has reached every node; tables can be complete earlier, while links beyond the active views form and later records are on their way) and no sooner than 5 s after the tables were complete. Stalls from perf_hooks.monitorEventLoopDelay (10 ms resolution); the nodes are started one per event-loop turn (as separate processes would start; start() resolves within its turn, so a loop of them would be one long task of the harness: about 120 ms at N = 60), and the 20 % are stopped one per turn likewise (stop() closes a node's links within its turn).`,
    ],
  };
}

/** 12 nodes (4 with --quick) as separate processes: time to complete tables, idle CPU of all of them, broadcast time to all. */
async function twelveProcesses(config: BenchConfig): Promise<Table> {
  const count = config.quick ? 4 : 12;
  const cpus = [config.serverCpu, config.clientCpu];
  const nodes: BenchChild[] = [];
  try {
    const started = await startNodeProcesses(nodes, count, cpus, 'proc');
    const complete = async () => (await Promise.all(nodes.map((node) => node.request<number>('reachable')))).every((n) => n === count - 1);
    await waitUntil(complete, 60_000, `complete tables in ${count} processes`);
    const completeMs = performance.now() - started;
    await sleep(config.quick ? 500 : 5000);
    const idleMs = config.quick ? 1000 : 10_000;
    const before = await Promise.all(nodes.map((node) => node.request<{ cpuMicros: number; timeMs: number }>('cpu')));
    await sleep(idleMs);
    const after = await Promise.all(nodes.map((node) => node.request<{ cpuMicros: number; timeMs: number }>('cpu')));
    const cpuSeconds = after.reduce((sum, snapshot, i) => sum + (snapshot.cpuMicros - before[i]!.cpuMicros) / 1e6, 0);
    const wallSeconds = (after[0]!.timeMs - before[0]!.timeMs) / 1000;
    const toAll: number[] = [];
    const broadcasts = config.quick ? 10 : 50;
    for (let seq = 0; seq < broadcasts; seq++) {
      const latencies = await broadcastLatencies(nodes, nodes[seq % count]!, `scale broadcast ${seq}`, 10_000);
      toAll.push(Math.max(...latencies) / 1000);
    }
    return {
      title: `Mesh at scale: ${count} nodes, one process each`,
      headers: ['figure', 'value'],
      rows: [
        ['time until every table lists everyone', `${formatNumber(completeMs, 0)} ms`],
        [`idle CPU of all ${count} processes (${idleMs / 1000} s), % of one core`, `${formatNumber((cpuSeconds / wallSeconds) * 100, 1)} %`],
        [`broadcast time to all ${count - 1} others: p50 / p99 (${broadcasts})`, `${formatNumber(percentile(toAll, 50), 2)} / ${formatNumber(percentile(toAll, 99), 2)} ms`],
      ],
      notes: [`Processes pinned alternately to CPUs ${cpus.join(' and ')}; node i is given nodes 0..i-1 as static peers; default options except maxPeersPerAddress 64. Idle starts 5 s after the tables were complete; the figure includes each process's pings (every 5 s per link) and Node's own housekeeping. ${harnessNote(nodeScript)}`],
    };
  } finally {
    await Promise.all(nodes.map((node) => node.request('stop').catch(() => {}).then(() => node.stop())));
  }
}
