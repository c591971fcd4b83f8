import { buildHandshakeFlood } from '../lib/handshake-flood.ts';
import { readFileSync } from 'node:fs';
import { startChild, type BenchChild } from '../lib/children.ts';
import { OURS, OURS_HTTP, startEchoServer, WS, type ServerContender } from '../lib/echo-servers.ts';
import { baseContender, buildOurs } from '../lib/ours.ts';
import { interleave, sleep } from '../lib/rounds.ts';
import { median, ratioSpread } from '../lib/stats.ts';
import { formatRatio } from '../lib/format.ts';
import { loadGeneratorScript } from '../sections/echo.ts';

/**
 * Handshakes/s only (the opening phase of `npm run bench -- --only connections`, without the memory figures
 * and their 15 s settling wait), interleaved rounds, with the busy share of each CPU while opening:
 *   npx tsx bench/tools/handshake-rate.ts [--rounds 5] [--connections 10000] [--base COMMIT] [--floor] [--cpu-prof DIR]
 * --node-clients: Node load generators instead of the C one (bench/load/handshake-flood.c).
 * --base: that commit's build (as in `npm run bench -- --base`), standalone and on http.Server, next to ours and ws.
 */

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

const rounds = Number(argument('rounds') ?? 5);
const total = Number(argument('connections') ?? 10_000);
const base = argument('base');
const profileDir = argument('cpu-prof');
const clientCount = 4;
// --node-clients: the Node load generators instead of bench/load/handshake-flood.c (as the bench did before).
const flood = process.argv.includes('--node-clients') ? { unavailable: '--node-clients' } : buildHandshakeFlood();
const floodPath = 'path' in flood ? flood.path : undefined;
if (!('path' in flood)) console.error(`Node load generators: ${flood.unavailable}`);
const concurrency = 50;

const problem = buildOurs();
if (problem) console.error(problem);
const contenders: ServerContender[] = [WS, OURS, OURS_HTTP];
// --floor: a server that only finds the key and writes the 101 (no WebSocket after it): what Node itself costs.
if (process.argv.includes('--floor')) contenders.push({ id: 'floor', label: 'floor (101 only)', kind: 'floor' });
for (const built of baseContender({ base: base ?? null })) {
  contenders.push(built, { ...built, id: 'base-http', label: `${built.label} on http.Server`, env: { ...built.env, WSMESH_BENCH_ATTACHED: '1' } });
}

/** Busy and total jiffies per CPU (from /proc/stat). */
function cpuTimes(): Array<{ busy: number; total: number }> {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d/.test(line)).map((line) => {
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + fields[4]!;
    const sum = fields.reduce((a, b) => a + b, 0);
    return { busy: sum - idle, total: sum };
  });
}

interface Sample { rate: number; cpuMicros: number; clientCpuMicros: number; busy: number[] }

async function measureOnce(contender: ServerContender, clients: BenchChild[]): Promise<Sample> {
  const flags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', `${profileDir}/${contender.id}`] : [];
  const server = await startEchoServer(contender, '1', { raiseFdLimit: true, nodeFlags: flags });
  if (!('port' in server)) throw new Error(`${contender.label}: ${server.unavailable}`);
  try {
    const open = (count: number) => Promise.all(clients.map((client) => client.request<{ cpuMicros: number }>('open-idle', { port: server.port, count, concurrency, flood: floodPath })));
    const closeAll = () => Promise.all(clients.map((client) => client.request('close-idle')));
    await open(Math.min(500, total / clientCount));
    await closeAll();
    while ((await server.child.request<number>('connections')) > 0) await sleep(20);
    const cpuBefore = await server.child.request<{ cpuMicros: number }>('usage');
    const timesBefore = cpuTimes();
    const started = performance.now();
    const opened = await open(total / clientCount);
    const elapsed = performance.now() - started;
    const timesAfter = cpuTimes();
    const cpuAfter = await server.child.request<{ cpuMicros: number }>('usage');
    await closeAll();
    return {
      rate: total / (elapsed / 1000),
      cpuMicros: (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / total,
      clientCpuMicros: opened.reduce((sum, result) => sum + result.cpuMicros, 0) / total,
      busy: timesAfter.map((after, i) => (after.busy - timesBefore[i]!.busy) / (after.total - timesBefore[i]!.total)),
    };
  } finally {
    await server.child.stop();
  }
}

const clients = await Promise.all(
  Array.from({ length: clientCount }, () => startChild({ script: loadGeneratorScript, cpu: '0', raiseFdLimit: true }).then(({ child }) => child)),
);
try {
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const byId = new Map(contenders.map((contender) => [contender.id, contender]));
  const results = await interleave([...byId.keys()], rounds, (id) => measureOnce(byId.get(id)!, clients));
  const ws = results.get('ws')!;
  for (const [id, samples] of results) {
    const rate = samples.map((sample) => sample.rate);
    const cpu = samples.map((sample) => sample.cpuMicros);
    console.log(
      `${byId.get(id)!.label.padEnd(32)} ${median(rate).toFixed(0).padStart(6)}/s  ${median(cpu).toFixed(1)} us/hs  ` +
        `rate vs ws ${formatRatio(ratioSpread(rate, ws.map((s) => s.rate)))}  cpu vs ws ${formatRatio(ratioSpread(cpu, ws.map((s) => s.cpuMicros)))}  ` +
        `clients ${median(samples.map((s) => s.clientCpuMicros)).toFixed(1)} us/hs  busy cpu0 ${median(samples.map((s) => s.busy[0]!)).toFixed(2)} cpu1 ${median(samples.map((s) => s.busy[1]!)).toFixed(2)}`,
    );
  }
  console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
} finally {
  await Promise.all(clients.map((client) => client.stop()));
}
