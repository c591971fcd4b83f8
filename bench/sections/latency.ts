import { startChild } from '../lib/children.ts';
import { profileFlags, type BenchConfig } from '../lib/config.ts';
import { OURS, RAW, startEchoServer, waitForNoConnections, WS, type RunningServer } from '../lib/echo-servers.ts';
import { formatNumber, formatRatio } from '../lib/format.ts';
import { interleave } from '../lib/rounds.ts';
import { median, ratioSpread } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import { loadGeneratorScript } from './echo.ts';

/** Round-trip latency of one 32-byte binary message at a time, through the neutral load generator. */

interface LatencySample {
  p50: number;
  p99: number;
  mean: number;
}

export async function runLatencySection(config: BenchConfig): Promise<Table[]> {
  const started = await Promise.all([RAW, WS, OURS].map((contender) => startEchoServer(contender, config.serverCpu, { nodeFlags: profileFlags(config, `${contender.id}-server-latency`) })));
  const servers = started.filter((server): server is RunningServer => 'port' in server);
  const unavailable = started.flatMap((server) => ('unavailable' in server ? [`${server.contender.label} (${server.unavailable})`] : []));
  const { child: loadGenerator } = await startChild({ script: loadGeneratorScript, cpu: config.clientCpu });
  try {
    const byId = new Map(servers.map((server) => [server.contender.id, server]));
    const results = await interleave([...byId.keys()], config.rounds, async (id) => {
      const server = byId.get(id)!;
      const sample = await loadGenerator.request<LatencySample>('latency', {
        port: server.port,
        mode: server.contender.kind === 'raw' ? 'raw' : 'ws',
        size: 32,
        ...config.latency,
      });
      await waitForNoConnections(server);
      return sample;
    });
    const ws = results.get(WS.id);
    const raw = results.get(RAW.id);
    const rows = servers.map((server) => {
      const samples = results.get(server.contender.id)!;
      const p50 = samples.map((sample) => sample.p50);
      const p99 = samples.map((sample) => sample.p99);
      return [
        server.contender.label,
        formatNumber(median(p50), 1),
        formatNumber(median(p99), 1),
        formatNumber(median(samples.map((sample) => sample.mean)), 1),
        ws ? formatRatio(ratioSpread(p50, ws.map((sample) => sample.p50))) : '-',
        ws ? formatRatio(ratioSpread(p99, ws.map((sample) => sample.p99))) : '-',
        raw ? formatRatio(ratioSpread(p50, raw.map((sample) => sample.p50))) : '-',
      ];
    });
    return [
      {
        title: 'Round-trip latency, one 32-byte binary message at a time',
        headers: ['server', 'p50 us', 'p99 us', 'mean us', 'p50 vs ws', 'p99 vs ws', 'p50 vs raw TCP'],
        rows,
        notes: [
          ...unavailable.map((text) => `Not measured: ${text}.`),
          `${config.latency.iterations} round trips per round after ${config.latency.warmup} warm-up ones; medians of ${config.rounds} interleaved rounds; ratios: lower is better; ${config.pinning}.`,
        ],
      },
    ];
  } finally {
    await Promise.all([loadGenerator.stop(), ...servers.map((server) => server.child.stop())]);
  }
}
