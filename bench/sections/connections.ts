import { buildHandshakeFlood } from '../lib/handshake-flood.ts';
import { startChild, type BenchChild } from '../lib/children.ts';
import { profileFlags, type BenchConfig } from '../lib/config.ts';
import { baseContender } from '../lib/ours.ts';
import { OURS, OURS_HTTP, startEchoServer, WS, type RunningServer } from '../lib/echo-servers.ts';
import { formatCount, formatNumber, formatRatio } from '../lib/format.ts';
import { interleave, sleep } from '../lib/rounds.ts';
import { median, ratioSpread } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import { loadGeneratorScript } from './echo.ts';

/**
 * Idle connections: N WebSocket connections opened by several load generator processes against one
 * server; handshakes per second while opening, then server RSS per connection once they sit idle.
 * Every round starts a fresh server so the memory baseline is clean.
 */

interface ConnectionSample {
  handshakesPerSec: number;
  /** Server CPU time (user + system) per handshake while opening: steadier than the rate on a loaded machine. */
  cpuMicrosPerHandshake: number;
  /** Right after the last handshake (and gc()): includes the young generation the burst grew. */
  rssPerConnKiB: number;
  heapPerConnKiB: number;
  /** Once V8 has given the young generation back (idle connections in the steady state). */
  settledRssPerConnKiB: number;
  settledMs: number;
}

type Memory = { rss: number; heapUsed: number; newSpace: number; settledMs: number };
/** Wait until V8's young generation is down to 1 MiB (its size when idle), at most 15 s (not at all with --quick). */
const settle = (config: BenchConfig) => ({ settleTo: 1024 * 1024, settleMs: config.quick ? 0 : 15_000 });

async function waitForConnections(server: RunningServer, expected: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const open = await server.child.request<number>('connections');
    if (open === expected) return;
    if (performance.now() > deadline) throw new Error(`${server.contender.label}: ${open} connections open, expected ${expected}`);
    await sleep(20);
  }
}

async function measureOnce(contender: typeof WS, clients: BenchChild[], config: BenchConfig, flood: string | undefined): Promise<ConnectionSample> {
  const server = await startEchoServer(contender, config.serverCpu, { raiseFdLimit: true, exposeGc: true, nodeFlags: profileFlags(config, `${contender.id}-server-connections`) });
  if (!('port' in server)) throw new Error(`${contender.label} did not start: ${server.unavailable}`);
  try {
    const { connections: total, concurrencyPerClient: concurrency } = config.idle;
    const open = (count: number) => Promise.all(clients.map((client) => client.request('open-idle', { port: server.port, count, concurrency, flood })));
    const closeAll = () => Promise.all(clients.map((client) => client.request('close-idle')));
    await open(Math.min(50, Math.ceil(total / clients.length / 10)));
    await closeAll();
    await waitForConnections(server, 0, 5000);
    // Baseline and settled figure both after the young generation is back at its smallest size.
    const before = await server.child.request<Memory>('memory', settle(config));
    const cpuBefore = await server.child.request<{ cpuMicros: number }>('usage');
    const started = performance.now();
    await open(total / clients.length);
    const elapsedMs = performance.now() - started;
    const cpuAfter = await server.child.request<{ cpuMicros: number }>('usage');
    await waitForConnections(server, total, 10_000);
    await sleep(100);
    const after = await server.child.request<Memory>('memory');
    const settled = await server.child.request<Memory>('memory', settle(config));
    await closeAll();
    return {
      handshakesPerSec: total / (elapsedMs / 1000),
      cpuMicrosPerHandshake: (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / total,
      rssPerConnKiB: (after.rss - before.rss) / total / 1024,
      heapPerConnKiB: (after.heapUsed - before.heapUsed) / total / 1024,
      settledRssPerConnKiB: (settled.rss - before.rss) / total / 1024,
      settledMs: settled.settledMs,
    };
  } finally {
    await server.child.stop();
  }
}

export async function runConnectionsSection(config: BenchConfig): Promise<Table[]> {
  const { connections: total, clients: clientCount } = config.idle;
  if (total % clientCount !== 0) throw new Error('idle connections must divide evenly among the client processes');
  const clients = await Promise.all(
    Array.from({ length: clientCount }, () => startChild({ script: loadGeneratorScript, cpu: config.clientCpu, raiseFdLimit: true }).then(({ child }) => child)),
  );
  const unavailable: string[] = [];
  const flood = buildHandshakeFlood();
  const floodPath = 'path' in flood ? flood.path : undefined;
  const contenders = [WS, OURS, OURS_HTTP, ...baseContender(config)];
  try {
    const available: typeof contenders = [];
    for (const contender of contenders) {
      const probe = await startEchoServer(contender, config.serverCpu);
      if ('port' in probe) {
        available.push(contender);
        await probe.child.stop();
      } else unavailable.push(`${contender.label} (${probe.unavailable})`);
    }
    const byId = new Map(available.map((contender) => [contender.id, contender]));
    const results = await interleave([...byId.keys()], config.rounds, (id) => measureOnce(byId.get(id)!, clients, config, floodPath));
    const ws = results.get(WS.id);
    const rows = available.map((contender) => {
      const samples = results.get(contender.id)!;
      const rate = samples.map((sample) => sample.handshakesPerSec);
      const rss = samples.map((sample) => sample.rssPerConnKiB);
      const cpu = samples.map((sample) => sample.cpuMicrosPerHandshake);
      const settledRss = samples.map((sample) => sample.settledRssPerConnKiB);
      return [
        contender.label,
        formatCount(median(rate)),
        formatNumber(median(cpu), 1),
        formatNumber(median(rss), 2),
        formatNumber(median(samples.map((sample) => sample.heapPerConnKiB)), 2),
        formatNumber(median(settledRss), 2),
        ws ? formatRatio(ratioSpread(rate, ws.map((sample) => sample.handshakesPerSec))) : '-',
        ws ? formatRatio(ratioSpread(cpu, ws.map((sample) => sample.cpuMicrosPerHandshake))) : '-',
        ws ? formatRatio(ratioSpread(rss, ws.map((sample) => sample.rssPerConnKiB))) : '-',
        ws ? formatRatio(ratioSpread(settledRss, ws.map((sample) => sample.settledRssPerConnKiB))) : '-',
      ];
    });
    const settleTimes = [...results.values()].flat().map((sample) => sample.settledMs / 1000);
    return [
      {
        title: `${total} idle WebSocket connections on one server`,
        headers: [
          'server', 'handshakes/s', 'server CPU us/handshake', 'RSS KiB/conn', 'heap KiB/conn', 'settled RSS KiB/conn',
          'handshakes/s vs ws', 'CPU/handshake vs ws', 'RSS/conn vs ws', 'settled RSS/conn vs ws',
        ],
        rows,
        notes: [
          ...unavailable.map((text) => `Not measured: ${text}.`),
          `${clientCount} load generator processes open ${total / clientCount} connections each, ${config.idle.concurrencyPerClient} handshakes in flight per process` +
            ('path' in flood
              ? ' (bench/load/handshake-flood.c: non-blocking sockets and epoll, about 45 us of CPU per connection, mostly the kernel\'s connect; the Node clients used before spent 110-220 us, more than the servers, and bounded the figure); '
              : ` (Node clients, 110-220 us of CPU per connection: they bound the rate; the C load generator is unavailable: ${flood.unavailable}); `) +
            `RSS and heap after gc(), relative to the same server after a warm-up; settled RSS: both figures taken once V8's memory reducer has shrunk the young generation to 1 MiB (after about 8-10 s idle; ` +
            `right after 10,000 handshakes it holds tens of MiB that idle connections do not keep; here ${formatNumber(Math.min(...settleTimes), 1)}-${formatNumber(Math.max(...settleTimes), 1)} s, at most ${config.quick ? '0 (--quick)' : '15'}). Fresh server per round; medians of ${config.rounds} interleaved rounds; ${config.pinning}. ` +
            `wsmesh = standalone WebSocketServer (its own request parser on net.Server); wsmesh on http.Server = the same attached to a node:http server (Node's C parser, IncomingMessage; how the mesh node serves its page and WebSockets on one port).`,
        ],
      },
    ];
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
  }
}
