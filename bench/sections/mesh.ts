import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from '../lib/children.ts';
import type { BenchConfig } from '../lib/config.ts';
import { formatNumber } from '../lib/format.ts';
import { sleep } from '../lib/rounds.ts';
import { percentile } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';

/**
 * Mesh figures: 5 nodes (one process each) on 127.0.0.1 with static peers: time until every node has a
 * direct link to every other, then broadcast latency (one broadcast at a time, until all 4 peers got it).
 * Time to full mesh over mDNS on the namespace LAN is not measured here yet.
 */

const nodeScript = fileURLToPath(new URL('../mesh/mesh-node-process.ts', import.meta.url));
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
  const cpus = [config.serverCpu, config.clientCpu];
  const nodes: BenchChild[] = [];
  try {
    for (let i = 0; i < NODE_COUNT; i++) nodes.push((await startChild({ script: nodeScript, cpu: cpus[i % cpus.length] })).child);
    const started = performance.now();
    const urls: string[] = [];
    for (let i = 0; i < NODE_COUNT; i++) {
      const { url } = await nodes[i]!.request<{ url: string }>('start', { name: `bench-${i}`, peers: [...urls] });
      urls.push(url);
    }
    const allLinked = async () => (await Promise.all(nodes.map((node) => node.request<number>('connected')))).every((count) => count === NODE_COUNT - 1);
    await waitUntil(allLinked, 20_000, 'a full mesh of 5 nodes');
    const fullMeshMs = performance.now() - started;

    const broadcasts = config.quick ? 20 : 300;
    const toAll: number[] = [];
    const toEach: number[] = [];
    for (let seq = 0; seq < broadcasts; seq++) {
      const sender = nodes[seq % NODE_COUNT]!;
      const receivers = nodes.filter((node) => node !== sender);
      const text = `bench broadcast ${seq}`;
      const sentAt = BigInt(await sender.request<string>('broadcast', { text }));
      let times: Array<string | null> = [];
      await waitUntil(
        async () => {
          times = await Promise.all(receivers.map((node) => node.request<string | null>('received', { text })));
          return times.every((time) => time !== null);
        },
        5000,
        `broadcast ${seq} to reach all peers`,
      );
      const latencies = times.map((time) => Number(BigInt(time!) - sentAt) / 1000);
      toEach.push(...latencies);
      toAll.push(Math.max(...latencies));
    }
    return [
      {
        title: `Mesh: ${NODE_COUNT} nodes on 127.0.0.1`,
        headers: ['figure', 'p50', 'p99'],
        rows: [
          ['time to full mesh (static peers, each node dials the earlier ones)', `${formatNumber(fullMeshMs, 1)} ms`, ''],
          [`broadcast latency to each peer (${broadcasts} broadcasts)`, `${formatNumber(percentile(toEach, 50), 1)} us`, `${formatNumber(percentile(toEach, 99), 1)} us`],
          ['broadcast latency until all 4 peers have it', `${formatNumber(percentile(toAll, 50), 1)} us`, `${formatNumber(percentile(toAll, 99), 1)} us`],
          ['time to full mesh over mDNS on the namespace LAN', 'not yet', ''],
        ],
        notes: [`One node per process, pinned alternately to CPUs ${cpus.join(' and ')}; one broadcast at a time, senders rotating; times from process.hrtime (monotonic, system-wide).`],
      },
    ];
  } finally {
    await Promise.all(nodes.map((node) => node.request('stop').catch(() => {}).then(() => node.stop())));
  }
}
