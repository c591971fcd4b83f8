import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from '../lib/children.ts';
import { profileFlags, type BenchConfig } from '../lib/config.ts';
import { formatNumber } from '../lib/format.ts';
import { PLAIN_COMMIT, buildPlain } from '../lib/ours.ts';
import { sleep } from '../lib/rounds.ts';
import { percentile } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';

/**
 * The secure mesh (wsmesh.v2: Noise XXpsk3 links, signed messages) against the plain one it replaced (wsmesh.v1 at
 * PLAIN_COMMIT, built from git in the same run), both with a mesh secret, one node per process on 127.0.0.1:
 * link setup (a fresh node dials a running one, until peer:connected), direct acked 1 KiB messages per second
 * between two nodes (256 unacknowledged at a time), broadcast latency until all 4 peers of a 5-node mesh have it.
 */

const nodeScript = fileURLToPath(new URL('../mesh/mesh-node-process.ts', import.meta.url));
const SECRET = 'bench mesh secret';
const NODE_COUNT = 5;

interface Figures {
  setup: number[];
  rate: number;
  toAll: number[];
  /** Links the broadcast travelled to its farthest peer (the broadcast tree's depth from the sender). */
  depth: number[];
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

async function measure(config: BenchConfig, build: string | undefined, label: string): Promise<Figures> {
  const cpus = [config.serverCpu, config.clientCpu];
  const nodes: BenchChild[] = [];
  try {
    for (let i = 0; i < NODE_COUNT; i++) {
      nodes.push((await startChild({ script: nodeScript, cpu: cpus[i % cpus.length], nodeFlags: profileFlags(config, `secure-${label}-node${i}`) })).child);
    }
    const started: Array<{ url: string; id: string }> = [];
    for (let i = 0; i < NODE_COUNT; i++) {
      started.push(await nodes[i]!.request<{ url: string; id: string }>('start', { name: `bench-${i}`, peers: started.map((s) => s.url), build, secret: SECRET }));
    }
    const allLinked = async () => (await Promise.all(nodes.map((node) => node.request<number>('connected')))).every((count) => count === NODE_COUNT - 1);
    await waitUntil(allLinked, 30_000, 'a full mesh of 5 nodes');

    const count = config.quick ? 2000 : 20_000;
    const elapsed = await nodes[1]!.request<number>('sendMany', { to: started[0]!.id, count, size: 1024, window: 256 });
    const rate = count / (elapsed / 1000);

    const broadcasts = config.quick ? 20 : 200;
    const toAll: number[] = [];
    const depth: number[] = [];
    for (let seq = 0; seq < broadcasts; seq++) {
      const sender = nodes[seq % NODE_COUNT]!;
      const receivers = nodes.filter((node) => node !== sender);
      const text = `secure bench broadcast ${seq}`;
      const sentAt = BigInt(await sender.request<string>('broadcast', { text }));
      let times: Array<string | null> = [];
      await waitUntil(async () => {
        times = await Promise.all(receivers.map((node) => node.request<string | null>('received', { text })));
        return times.every((time) => time !== null);
      }, 5000, `broadcast ${seq} to reach all peers`);
      toAll.push(Math.max(...times.map((time) => Number(BigInt(time!) - sentAt) / 1000)));
      depth.push(Math.max(...(await Promise.all(receivers.map((node) => node.request<number | null>('hops', { text })))).map((hops) => hops ?? 1)));
    }

    const setup = await nodes[2]!.request<number[]>('linkSetup', { url: started[0]!.url, rounds: config.quick ? 10 : 100 });
    return { setup, rate, toAll, depth };
  } finally {
    await Promise.all(nodes.map((node) => node.request('stop').catch(() => {}).then(() => node.stop())));
  }
}

/** Rounds per build: --rounds N, at most 3 (each round starts 5 nodes afresh); 1 with --quick. */
function rounds(config: BenchConfig): number {
  return config.quick ? 1 : Math.min(config.rounds, 3);
}

export async function runSecureSection(config: BenchConfig): Promise<Table[]> {
  const plainBuild = buildPlain();
  // --base COMMIT: that commit's secure build too (A/B of a change).
  const baseBuild = config.base === null ? null : buildPlain(config.base);
  if (baseBuild?.startsWith('error:')) throw new Error(`--base: ${baseBuild}`);
  // The builds take turns, round after round (the machine's load drifts); the rates are the median round's.
  const builds: Array<{ label: string; build: string | undefined; rounds: Figures[] }> = [
    ...(plainBuild.startsWith('error:') ? [] : [{ label: 'plain', build: plainBuild, rounds: [] }]),
    ...(baseBuild === null ? [] : [{ label: 'base', build: baseBuild, rounds: [] }]),
    { label: 'secure', build: undefined, rounds: [] },
  ];
  for (let round = 0; round < rounds(config); round++) {
    for (const entry of builds) entry.rounds.push(await measure(config, entry.build, `${entry.label}-${round}`));
  }
  const merged = (label: string): Figures | null => {
    const figures = builds.find((entry) => entry.label === label)?.rounds;
    if (figures === undefined) return null;
    return {
      setup: figures.flatMap((f) => f.setup),
      rate: percentile(figures.map((f) => f.rate), 50),
      toAll: figures.flatMap((f) => f.toAll),
      depth: figures.flatMap((f) => f.depth),
    };
  };
  const plain = merged('plain');
  const base = merged('base');
  const secure = merged('secure')!;
  const ratio = (a: number, b: number) => `${formatNumber(a / b, 2)}x`;
  const row = (figure: string, unit: string, get: (f: Figures) => number, digits = 1): string[] => [
    figure,
    plain === null ? 'n/a' : `${formatNumber(get(plain), digits)} ${unit}`,
    ...(base === null ? [] : [`${formatNumber(get(base), digits)} ${unit}`]),
    `${formatNumber(get(secure), digits)} ${unit}`,
    plain === null ? '' : ratio(get(secure), get(plain)),
    ...(base === null ? [] : [ratio(get(secure), get(base))]),
  ];
  return [
    {
      title: 'Secure mesh (wsmesh.v2) vs plain (wsmesh.v1), same run',
      headers: ['figure', 'plain v1', ...(base === null ? [] : [`secure @${config.base}`]), 'secure v2', 'secure / plain', ...(base === null ? [] : ['secure / base'])],
      rows: [
        row('link setup p50, node to node (target <= 5 ms)', 'ms', (f) => percentile(f.setup, 50), 2),
        row('link setup p99', 'ms', (f) => percentile(f.setup, 99), 2),
        row('direct acked 1 KiB messages/s, 2 nodes (target >= 20,000)', '/s', (f) => f.rate, 0),
        row('broadcast latency until all 4 peers have it, p50 (target <= 1 ms)', 'us', (f) => percentile(f.toAll, 50), 0),
        row('broadcast latency until all 4 peers have it, p99', 'us', (f) => percentile(f.toAll, 99), 0),
        row('links the first copy travelled to the farthest peer, mean (v1 floods, v2 a tree)', 'hops', (f) => f.depth.reduce((a, b) => a + b, 0) / f.depth.length, 2),
      ],
      notes: [
        `plain = commit ${PLAIN_COMMIT} (wsmesh.v1: JSON over WebSocket, HMAC proof) built from git in this run${plain === null ? ` — not available: ${plainBuild}` : ''}; secure = this tree${base === null ? '' : `; base = commit ${config.base} built the same way`}.`,
        `${rounds(config)} round(s) per build, the builds taking turns; link setup and broadcast percentiles over all rounds, the message rate of the median round.`,
        `Both with a mesh secret; ${NODE_COUNT} nodes, one per process, pinned alternately to CPUs ${config.serverCpu} and ${config.clientCpu}; 256 direct messages unacknowledged at a time; one broadcast at a time, senders rotating.`,
      ],
    },
  ];
}
