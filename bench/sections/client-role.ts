import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from '../lib/children.ts';
import { caseLabel, profileFlags, type BenchConfig, type EchoCase } from '../lib/config.ts';
import { startEchoServer, waitForNoConnections, WS, type RunningServer } from '../lib/echo-servers.ts';
import { interleave } from '../lib/rounds.ts';
import { measureWindow, throughputRows, type ThroughputSample, type TrafficSnapshot } from '../lib/throughput.ts';
import type { Table } from '../lib/table.ts';
import { inflightFor } from './echo.ts';

/** Client role (it masks): our client vs ws's client, both against the same ws + bufferutil echo server. */

const clientScript = fileURLToPath(new URL('../clients/echo-client.ts', import.meta.url));

interface ClientContender {
  id: string;
  label: string;
  kind: 'ours' | 'ws';
  env?: Record<string, string>;
}

const CONTENDERS: ClientContender[] = [
  { id: 'ws', label: 'ws client + bufferutil', kind: 'ws' },
  { id: 'ws-nobu', label: 'ws client, WS_NO_BUFFER_UTIL=1', kind: 'ws', env: { WS_NO_BUFFER_UTIL: '1' } },
  { id: 'ours', label: 'wsmesh client', kind: 'ours' },
];

type ClientSample = ThroughputSample;

async function measureOnce(client: BenchChild, server: RunningServer, echoCase: EchoCase, timing: { warmupMs: number; measureMs: number }): Promise<ClientSample> {
  await client.request('start', {
    url: `ws://127.0.0.1:${server.port}/`,
    size: echoCase.size,
    binary: echoCase.binary,
    inflight: inflightFor(echoCase.size, echoCase.connections),
  });
  try {
    return await measureWindow(timing, () => client.request<TrafficSnapshot>('snapshot'));
  } finally {
    await client.request('stop');
    await waitForNoConnections(server);
  }
}

export async function runClientRoleSection(config: BenchConfig): Promise<Table[]> {
  const server = await startEchoServer(WS, config.serverCpu);
  if (!('port' in server)) throw new Error(`the ws echo server did not start: ${server.unavailable}`);
  const clients = new Map<string, BenchChild>();
  const unavailable: string[] = [];
  const descriptions: string[] = [];
  try {
    for (const contender of CONTENDERS) {
      try {
        const { child, info } = await startChild({ script: clientScript, args: [contender.kind], cpu: config.clientCpu, env: contender.env ?? {}, nodeFlags: profileFlags(config, `${contender.id}-client`) });
        clients.set(contender.id, child);
        descriptions.push(`${contender.label} = ${info.description as string}`);
      } catch (error) {
        unavailable.push(`${contender.label} (${(error instanceof Error ? error.message : String(error)).split('\n').find((line) => /Error/.test(line)) ?? 'failed'})`);
      }
    }
    const results = new Map<string, Map<string, ClientSample[]>>();
    for (const echoCase of config.clientRole.cases) {
      results.set(caseLabel(echoCase), await interleave([...clients.keys()], config.rounds, (id) => measureOnce(clients.get(id)!, server, echoCase, config.clientRole)));
    }
    return [clientTable(results, config, descriptions, unavailable)];
  } finally {
    await Promise.all([server.child.stop(), ...[...clients.values()].map((client) => client.stop())]);
  }
}

function clientTable(results: Map<string, Map<string, ClientSample[]>>, config: BenchConfig, descriptions: string[], unavailable: string[]): Table {
  const rows = throughputRows(results, CONTENDERS, 'ws');
  return {
    title: 'Client role: echo round trips through each client library (server: ws + bufferutil)',
    headers: ['case', 'client', 'msgs/s', 'MB/s', 'client CPU us/msg', 'msgs/s vs ws', 'CPU/msg vs ws'],
    rows,
    notes: [
      `Clients: ${descriptions.join('; ')}.`,
      ...unavailable.map((text) => `Not measured: ${text}.`),
      `Same in-flight depths as the echo table; median of ${config.rounds} interleaved rounds of ${config.clientRole.measureMs} ms; ${config.pinning}.`,
    ],
  };
}
