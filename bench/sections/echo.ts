import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from '../lib/children.ts';
import { caseLabel, profileFlags, type BenchConfig, type EchoCase } from '../lib/config.ts';
import { baseContender } from '../lib/ours.ts';
import { OURS, RAW, startEchoServer, waitForNoConnections, WS, WS_NO_BUFFERUTIL, type RunningServer, type ServerContender } from '../lib/echo-servers.ts';
import { formatRatio } from '../lib/format.ts';
import { interleave } from '../lib/rounds.ts';
import { measureWindow, throughputRows, type ThroughputSample } from '../lib/throughput.ts';
import { ratioSpread } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';

/** Echo throughput: one neutral load generator against raw TCP, ws (with and without bufferutil) and ours. */

export const loadGeneratorScript = fileURLToPath(new URL('../load/load-generator.ts', import.meta.url));

type EchoSample = ThroughputSample;

/** Messages outstanding per connection: many small ones, few large ones (bounded memory at 64 connections). */
export function inflightFor(size: number, connections: number): number {
  const single = connections === 1;
  if (size <= 1024) return single ? 256 : 16;
  if (size <= 64 * 1024) return single ? 16 : 2;
  return single ? 4 : 1;
}

async function measureOnce(loadGenerator: BenchChild, server: RunningServer, echoCase: EchoCase, timing: { warmupMs: number; measureMs: number }): Promise<EchoSample> {
  await loadGenerator.request('start', {
    port: server.port,
    mode: server.contender.kind === 'raw' ? 'raw' : 'ws',
    size: echoCase.size,
    binary: echoCase.binary,
    connections: echoCase.connections,
    inflight: inflightFor(echoCase.size, echoCase.connections),
  });
  try {
    return await measureWindow(timing, async () => {
      type Load = { messages: number; bytes: number; timeMs: number; problem: string | null };
      const [load, usage] = await Promise.all([loadGenerator.request<Load>('snapshot'), server.child.request<{ cpuMicros: number }>('usage')]);
      if (load.problem) throw new Error(`${server.contender.label}: ${load.problem}`);
      return { messages: load.messages, bytes: load.bytes, timeMs: load.timeMs, cpuMicros: usage.cpuMicros };
    });
  } finally {
    await loadGenerator.request('stop');
    await waitForNoConnections(server);
  }
}

export async function runEchoSection(config: BenchConfig): Promise<Table[]> {
  // --base COMMIT: that commit's build too, as "wsmesh @COMMIT" (A/B of a change in the same run).
  const contenders: ServerContender[] = [RAW, WS, WS_NO_BUFFERUTIL, OURS, ...baseContender(config)];
  const started = await Promise.all(contenders.map((contender) => startEchoServer(contender, config.serverCpu, { nodeFlags: profileFlags(config, `${contender.id}-server`) })));
  const servers = started.filter((server): server is RunningServer => 'port' in server);
  const unavailable = started.filter((server) => 'unavailable' in server);
  const { child: loadGenerator } = await startChild({ script: loadGeneratorScript, cpu: config.clientCpu });
  const results = new Map<string, Map<string, EchoSample[]>>();
  try {
    for (const echoCase of config.echo.cases) {
      const byId = new Map(servers.map((server) => [server.contender.id, server]));
      results.set(caseLabel(echoCase), await interleave([...byId.keys()], config.rounds, (id) => measureOnce(loadGenerator, byId.get(id)!, echoCase, config.echo)));
    }
  } finally {
    await Promise.all([loadGenerator.stop(), ...servers.map((server) => server.child.stop())]);
  }
  const notes = [
    `Servers: ${servers.map((server) => `${server.contender.label} = ${server.description}`).join('; ')}.`,
    ...unavailable.map((server) => `Not measured: ${server.contender.label} (${'unavailable' in server ? server.unavailable : ''}).`),
    `Load generator: raw net client, pre-built masked frames, messages in flight per connection at 1 / 64 conns: 256 / 16 (<= 1 KiB), 16 / 2 (64 KiB), 4 / 1 (1 MiB). ${config.pinning}.`,
    `Median of ${config.rounds} interleaved rounds of ${config.echo.measureMs} ms (after ${config.echo.warmupMs} ms warm-up); ratios are medians of per-round ratios (min-max). MB/s = 10^6 payload bytes echoed per second; CPU = server user+system time per message. Text payloads are valid UTF-8 with a non-ASCII character every few bytes ("grüße, señor —"); both echo servers hand text to the application as validated bytes (ours with textAsBuffer: true; by default ours hands out strings, which costs a UTF-8 decode and re-encode per echo, see the parse figures below).`,
  ];
  return [detailTable(results, servers, notes), summaryTable(results, servers)];
}

function detailTable(results: Map<string, Map<string, EchoSample[]>>, servers: RunningServer[], notes: string[]): Table {
  return {
    title: 'Echo throughput (server role), neutral load generator',
    headers: ['case', 'server', 'msgs/s', 'MB/s', 'server CPU us/msg', 'msgs/s vs ws', 'CPU/msg vs ws'],
    rows: throughputRows(results, servers.map((server) => server.contender), WS.id),
    notes,
  };
}

function summaryTable(results: Map<string, Map<string, EchoSample[]>>, servers: RunningServer[]): Table {
  const has = (id: string) => servers.some((server) => server.contender.id === id);
  const ratio = (byContender: Map<string, EchoSample[]>, a: string, b: string, pick: (sample: EchoSample) => number) =>
    has(a) && has(b) ? formatRatio(ratioSpread(byContender.get(a)!.map(pick), byContender.get(b)!.map(pick))) : '-';
  const rows = [...results].map(([label, byContender]) => [
    label,
    ratio(byContender, OURS.id, WS.id, (sample) => sample.msgsPerSec),
    ratio(byContender, OURS.id, WS.id, (sample) => sample.cpuPerMsgUs),
    ratio(byContender, OURS.id, RAW.id, (sample) => sample.mbPerSec),
    ratio(byContender, WS.id, RAW.id, (sample) => sample.mbPerSec),
    ratio(byContender, WS_NO_BUFFERUTIL.id, WS.id, (sample) => sample.msgsPerSec),
    ...(has('base') ? [ratio(byContender, OURS.id, 'base', (sample) => sample.msgsPerSec), ratio(byContender, OURS.id, 'base', (sample) => sample.cpuPerMsgUs)] : []),
  ]);
  return {
    title: 'Echo throughput ratios',
    headers: [
      'case', 'ours/ws msgs/s', 'ours/ws CPU per msg', 'ours/raw TCP MB/s', 'ws/raw TCP MB/s', 'ws no-bufferutil/ws msgs/s',
      ...(has('base') ? ['ours/base msgs/s', 'ours/base CPU per msg'] : []),
    ],
    rows,
    notes: ['Targets: ours/ws msgs/s >= 1.5x at 16 B and 1 KiB, >= 1.0x at 64 KiB and 1 MiB; ours/raw TCP MB/s >= 0.85x at 1 MiB. CPU per msg: lower is better.'],
  };
}
