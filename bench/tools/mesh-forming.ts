import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as LinkModule from '../../src/mesh/link.ts';
import type * as NodeModule from '../../src/node.ts';
import type * as RouterModule from '../../src/mesh/router.ts';
import type * as SecureLinkModule from '../../src/wire/secure-link.js';
import type * as TurnBudgetModule from '../../src/transport/turn-budget.ts';
import type { DecodedFrame } from '../../src/mesh/envelope.ts';
import type { MeshNode } from '../../src/mesh/node.ts';

/**
 * Where a forming mesh spends its work: N nodes of one build in this process (node i given nodes 0..i-1 as static
 * peers, as in `npm run bench -- --only mesh`), with counts of handshakes (started, admitted, established),
 * connections closed and why, frames and bytes sent per type, links records issued, first receptions and
 * duplicates, the router's handling time per message type; a line per second while it forms (with the most tasks
 * waiting in the process's turn budget meanwhile, sampled every 20 ms); then an idle window. Run two builds side by side on one CPU for
 * an A/B on a busy machine (both get the same share), and compare the CPU seconds until the tables are complete:
 *   taskset -c 1 node --import tsx bench/tools/mesh-forming.ts BUILD 60 [idleMs] [--exit-at-complete] [--max-peers N] [--gaps FILE]
 * BUILD is a `tsc -p tsconfig.build.json --outDir DIR` tree under a directory whose node_modules resolves (e.g.
 * a symlink to this checkout's). Add `--cpu-prof` to node and read the profile with profile-summary.ts; with
 * `--gaps FILE` the timer gaps over 45 ms (turns that held the event loop) go to FILE, and
 * `profile-summary.ts PROFILE --gaps FILE` says what ran during each (this tool's own polling, `node.peers()` of
 * every node at most a tenth of the time, shows there as its anonymous functions: 15-40 ms a poll at N = 100).
 */

const usage = 'usage: mesh-forming.ts BUILD N [idleMs] [--exit-at-complete] [--max-peers N] [--gaps FILE]';
const { values: flags, positionals } = parseArgs({
  options: { 'exit-at-complete': { type: 'boolean', default: false }, 'max-peers': { type: 'string' }, gaps: { type: 'string' } },
  allowPositionals: true,
});
const [buildArg, nodesArg, idleArg] = positionals;
if (buildArg === undefined || nodesArg === undefined) throw new Error(usage);
const build = path.resolve(buildArg);
const count = Number(nodesArg);
const idleMs = Number(idleArg ?? 10_000);
/** `--max-peers N`: the nodes' maxPeers (default: the library's). */
const maxPeers = flags['max-peers'] === undefined ? undefined : Number(flags['max-peers']);
const load = (module: string) => import(pathToFileURL(path.join(build, `${module}.js`)).href);
const { createNode } = (await load('node')) as typeof NodeModule;
const { PeerLink } = (await load('mesh/link')) as typeof LinkModule;
const { MeshRouter } = (await load('mesh/router')) as typeof RouterModule;
const { SecureHandshake } = (await load('wire/secure-link')) as typeof SecureLinkModule;
const { turnBudget } = (await load('transport/turn-budget')) as typeof TurnBudgetModule;

const counts = { handshakes: 0, admitted: 0, established: 0, liveClosed: 0 };
const closes = new Map<string, number>();
const sent = new Map<string, number>();
const sentBytes = new Map<string, number>();
const received = new Map<string, number>();
const add = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const sum = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);

const send = PeerLink.prototype.send;
PeerLink.prototype.send = function (this: LinkModule.PeerLink, frame: string | Buffer): number {
  const bytes = send.call(this, frame);
  if (bytes >= 0) {
    const head = typeof frame === 'string' ? frame.slice(0, 40) : frame.toString('utf8', 4, 44);
    const type = /^\{"t":"([a-z]+)"/.exec(head)?.[1] ?? 'other';
    add(sent, type);
    add(sentBytes, type, bytes);
  }
  return bytes;
};
const start = SecureHandshake.prototype.start;
SecureHandshake.prototype.start = function (this: SecureLinkModule.SecureHandshake) {
  counts.handshakes++;
  return start.call(this);
};
const close = PeerLink.prototype.close;
PeerLink.prototype.close = function (this: LinkModule.PeerLink, code: number, reason: string): void {
  add(closes, `${code} ${this.isEstablished ? 'established' : 'handshake'}: ${reason.slice(0, 48)}`);
  close.call(this, code, reason);
};
const router = MeshRouter.prototype;
const { admit, established, closed, frame } = router;
router.admit = function (this: RouterModule.MeshRouter, link, arbiter) {
  const refusal = admit.call(this, link, arbiter);
  counts.admitted++;
  if (refusal !== null) add(closes, `refused ${refusal.code}: ${refusal.reason.slice(0, 40)}`);
  return refusal;
};
router.established = function (this: RouterModule.MeshRouter, link) {
  counts.established++;
  established.call(this, link);
};
router.closed = function (this: RouterModule.MeshRouter, link, reason) {
  const wasLive = closed.call(this, link, reason);
  if (wasLive) {
    counts.liveClosed++;
    add(closes, `live link lost: ${reason.type}${reason.type === 'close' ? ` ${reason.code} by ${reason.by}` : ''}`);
  }
  return wasLive;
};
const records = new Set<string>();
const firsts = new Set<string>();
let recordEntries = 0;
router.frame = function (this: RouterModule.MeshRouter, link, decoded: DecodedFrame, bytes) {
  const { message } = decoded;
  add(received, message.t);
  if (message.t === 'links') {
    const id = `${message.origin}/${message.seq}`;
    if (!records.has(id)) {
      records.add(id);
      recordEntries += message.links.length + (message.gone?.length ?? 0);
    }
    const first = `${this.selfId} ${id}`;
    add(received, firsts.has(first) ? 'links (duplicate)' : 'links (first)');
    firsts.add(first);
  }
  const handling = performance.now();
  frame.call(this, link, decoded, bytes);
  add(frameMs, message.t, performance.now() - handling);
};
/** Time spent in the router's handling of each message type (what it passes on included; decoding is before). */
const frameMs = new Map<string, number>();

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
// The longest gap between two runs of a 20 ms timer: how long the process could not get to its timers.
let lastTick = performance.now();
let longestGap = 0;
/** `--gaps FILE`: timer gaps over 45 ms as [start, end] in monotonic microseconds (the clock of a .cpuprofile). */
const gapsFile = flags.gaps;
const gaps: Array<[number, number]> = [];
let lastTickMicros = process.hrtime.bigint() / 1000n;
/** The most connection work waiting in the process's turn budget (tasks) since the last progress line. */
let maxBacklog = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  maxBacklog = Math.max(maxBacklog, turnBudget.backlog);
  longestGap = Math.max(longestGap, now - lastTick - 20);
  lastTick = now;
  const micros = process.hrtime.bigint() / 1000n;
  if (gapsFile !== undefined && micros - lastTickMicros > 65_000n) gaps.push([Number(lastTickMicros), Number(micros)]);
  lastTickMicros = micros;
}, 20);
if (gapsFile !== undefined) process.on('exit', () => writeFileSync(gapsFile, JSON.stringify(gaps)));

const nodes: MeshNode[] = [];
const started = performance.now();
for (let index = 0; index < count; index++) {
  const node = createNode({
    name: `s${index}`, host: '127.0.0.1', port: 0, mdns: false, webUi: false, ephemeralIdentity: true,
    peers: nodes.map((other) => other.urls[0]!), maxPeersPerAddress: 64,
    ...(maxPeers === undefined ? {} : { maxPeers }),
  });
  node.on('warning', () => {});
  await node.start();
  nodes.push(node);
  // One node per event-loop turn, as in bench/mesh/scale-process.ts.
  await new Promise((resolve) => setImmediate(resolve));
}
const ids = new Set(nodes.map((node) => node.id));
const completeShare = () => nodes.reduce((all, node) => all + node.peers().filter((peer) => peer.reachable && ids.has(peer.id)).length, 0) / (count * (count - 1));
const meanDegree = () => nodes.reduce((all, node) => all + node.peers().filter((peer) => peer.state === 'connected').length, 0) / count;
const seconds = (micros: { user: number; system: number }) => (micros.user + micros.system) / 1e6;
let lastCpu = process.cpuUsage();
let lastAt = performance.now();
let lastLinks = 0;
const progress = setInterval(() => {
  const now = performance.now();
  const links = sent.get('links') ?? 0;
  const cpu = seconds(process.cpuUsage(lastCpu)) / ((now - lastAt) / 1000);
  console.log(`${((now - started) / 1000).toFixed(1)} s: tables ${(completeShare() * 100).toFixed(1)} % complete, ${meanDegree().toFixed(1)} links per node, CPU ${(cpu * 100).toFixed(0)} %, ${((links - lastLinks) / ((now - lastAt) / 1000)).toFixed(0)} links frames/s, handshakes ${counts.handshakes} started / ${counts.established} established, turn-budget backlog up to ${maxBacklog} tasks`);
  maxBacklog = 0;
  [lastCpu, lastAt, lastLinks] = [process.cpuUsage(), now, links];
}, 1000);
// Polled at most a tenth of the time (checking 100 nodes' tables is costly), so that measuring does not slow the mesh.
for (;;) {
  const checking = performance.now();
  if (completeShare() >= 1 || checking - started > 180_000) break;
  await new Promise((resolve) => setTimeout(resolve, Math.max(5, (performance.now() - checking) * 10)));
}
const completeMs = performance.now() - started;
console.log(`tables complete after ${completeMs.toFixed(0)} ms, ${seconds(process.cpuUsage()).toFixed(1)} CPU s; longest timer gap ${longestGap.toFixed(0)} ms, event-loop delay max ${(loop.max / 1e6).toFixed(0)} ms`);
const report = () => {
  console.log(`handshakes: ${counts.handshakes} started (both ends), ${counts.admitted} admitted, ${counts.established} established (both ends), ${counts.liveClosed} established links lost`);
  console.log(`links records: ${records.size} issued, ${(recordEntries / Math.max(1, records.size)).toFixed(1)} entries each; received ${received.get('links (first)') ?? 0} first, ${received.get('links (duplicate)') ?? 0} duplicates`);
  console.log(`frames sent: ${JSON.stringify(Object.fromEntries(sent))}; bytes ${sum(sentBytes)} (${JSON.stringify(Object.fromEntries(sentBytes))})`);
  const perFrame = [...frameMs].map(([type, ms]) => `${type} ${((ms / (received.get(type) ?? 1)) * 1000).toFixed(0)} us x ${received.get(type) ?? 0}`);
  console.log(`router handling per received frame: ${perFrame.join(', ')}`);
  console.log(`closes: ${JSON.stringify(Object.fromEntries([...closes].sort((a, b) => b[1] - a[1])))}`);
};
if (flags['exit-at-complete']) {
  report();
  process.exit(0);
}
await new Promise((resolve) => setTimeout(resolve, 5000));
longestGap = 0;
loop.reset();
const linksBefore = sent.get('links') ?? 0;
const bytesBefore = sum(sentBytes);
const cpuBefore = process.cpuUsage();
const idleStarted = performance.now();
await new Promise((resolve) => setTimeout(resolve, idleMs));
const idleSeconds = (performance.now() - idleStarted) / 1000;
clearInterval(progress);
clearInterval(ticker);
console.log(`idle (${idleSeconds.toFixed(1)} s from 5 s after complete): CPU ${((seconds(process.cpuUsage(cpuBefore)) / idleSeconds) * 100).toFixed(1)} %, ${(((sent.get('links') ?? 0) - linksBefore) / idleSeconds).toFixed(1)} links frames/s, ${((sum(sentBytes) - bytesBefore) / idleSeconds).toFixed(0)} bytes/s, ${meanDegree().toFixed(1)} links per node, longest timer gap ${longestGap.toFixed(0)} ms`);
report();
await Promise.all(nodes.map((node) => node.stop()));
process.exit(0);
