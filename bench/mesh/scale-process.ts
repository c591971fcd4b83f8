import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as LinkModule from '../../src/mesh/link.ts';
import type * as NodeModule from '../../src/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { serveCommands } from '../lib/child-ipc.ts';
import { importOurs } from '../lib/ours.ts';

/**
 * N mesh nodes in this one process on 127.0.0.1, each given every earlier node as a static peer (the full mesh
 * mDNS gives on a LAN), with an event-loop monitor. One `run` command measures everything and returns figures.
 */

export interface ScaleFigures {
  nodes: number;
  /** ms from the first start until every table lists every other node as reachable (null: not within the limit). */
  completeMs: number | null;
  /**
   * ms from the first start until the last links frame or connection opened or closed before a full second without
   * either (null: not within 60 s).
   */
  quietMs: number | null;
  links: { min: number; mean: number; max: number };
  idle: { cpuPercent: number; bytesPerSecond: number; framesPerSecond: Record<string, number>; maxStallMs: number };
  broadcast: { count: number; missed: number; payloadsPerBroadcast: number; firstPayloads: number; ihaveMessages: number; toAllP50: number; toAllP99: number };
  send: { count: number; unacked: number; p50: number; p99: number };
  churn: { stopped: number; agreeMs: number | null };
  /** Longest event-loop stall while the mesh formed, and afterwards (idle, broadcasts, sends, churn). */
  formingStallMs: number;
  maxStallMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (what: string) => process.env.WSMESH_BENCH_PROGRESS && process.stderr.write(`${new Date().toISOString()} ${what}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Polls `check` every 5 ms (`everyMs`), or less often when it is costly (a check of 100 nodes' tables is): it takes at most a
 * tenth of the time, so that the measuring does not slow the mesh it measures.
 */
async function until(check: () => boolean, ms: number, everyMs = 5): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    const checking = performance.now();
    if (check()) break;
    const now = performance.now();
    if (now - started > ms) return null;
    await sleep(Math.max(everyMs, (now - checking) * 10));
  }
  return performance.now() - started;
}

/** Checking for `untilEach` takes at most this many ms per event-loop turn. */
const CHECK_SLICE_MS = 3;

/**
 * Waits until `ok` holds for every item, checking a few items per event-loop turn (at most CHECK_SLICE_MS per
 * turn): one check of 100 nodes' tables in one go took 20-30 ms once most were complete, a stall that the measuring
 * itself made. A pass that finds an item not ok starts over after a pause (checking takes at most a tenth of the
 * time, as in `until`); done when one pass finds every item ok. Returns the ms until then, or null after `ms`.
 */
async function untilEach<T>(items: T[], ok: (item: T) => boolean, ms: number): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    let checking = 0;
    let index = 0;
    let allOk = true;
    while (allOk && index < items.length) {
      const sliceStart = performance.now();
      while (index < items.length && performance.now() - sliceStart < CHECK_SLICE_MS) {
        if (!ok(items[index]!)) {
          allOk = false;
          break;
        }
        index++;
      }
      checking += performance.now() - sliceStart;
      if (allOk && index < items.length) await new Promise((resolve) => setImmediate(resolve));
    }
    if (allOk) return performance.now() - started;
    if (performance.now() - started > ms) return null;
    await sleep(Math.max(5, checking * 10));
  }
}

async function run(count: number, idleMs: number, broadcasts: number, build?: string): Promise<ScaleFigures> {
  const { createNode } = (await importOurs('node', build)) as typeof NodeModule;
  const { PeerLink } = (await importOurs('mesh/link', build)) as typeof LinkModule;
  const frames = new Map<string, number>();
  let bytes = 0;
  const send = PeerLink.prototype.send;
  PeerLink.prototype.send = function (this: LinkModule.PeerLink, frame: string | Buffer): number {
    const sent = send.call(this, frame);
    if (sent >= 0) {
      bytes += sent;
      const head = typeof frame === 'string' ? frame.slice(0, 40) : frame.toString('utf8', 4, 44);
      const type = /^\{"t":"([a-z]+)"/.exec(head)?.[1] ?? 'other';
      frames.set(type, (frames.get(type) ?? 0) + 1);
    }
    return sent;
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const nodes: MeshNode[] = [];
  const received = new Map<string, Map<string, number>>();
  const started = performance.now();
  try {
    for (let index = 0; index < count; index++) {
      const node = createNode({
        name: `s${index}`, host: '127.0.0.1', port: 0, mdns: false, webUi: false, ephemeralIdentity: true,
        peers: nodes.map((other) => other.urls[0]!),
        // All nodes share 127.0.0.1: let one address hold every slot.
        maxPeersPerAddress: 64,
      });
      node.on('warning', () => {});
      const arrivals = new Map<string, number>();
      received.set(node.id, arrivals);
      node.on('message', (_data, info) => arrivals.set(info.id, performance.now()));
      await node.start();
      nodes.push(node);
      // One node per event-loop turn, as separate processes would start: \`start()\` resolves within the turn it
      // was called in, so a loop of them would be one long task of the harness's (60 nodes: about 120 ms).
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ids = new Set(nodes.map((node) => node.id));
    /** Whether this node's table lists every other node of `alive` as reachable, and none of `gone`. */
    const tableComplete = (node: MeshNode, alive: MeshNode[], gone: Set<string>) => {
      const peers = node.peers();
      const reachable = peers.filter((peer) => peer.reachable && ids.has(peer.id) && !gone.has(peer.id)).length;
      return reachable === alive.length - 1 && !peers.some((peer) => peer.reachable && gone.has(peer.id));
    };
    const complete = (alive: MeshNode[], gone: Set<string>, ms: number) => untilEach(alive, (node) => tableComplete(node, alive, gone), ms);
    progress(`${count} nodes started`);
    const completeAfter = await complete(nodes, new Set(), 120_000);
    progress(`tables complete after ${completeAfter} ms`);
    const completeMs = completeAfter === null ? null : performance.now() - started;
    // Let the last links form and the last records and digests land (tables can be complete while links beyond
    // the active views are still being made and the latest records are on their way), then measure a quiet period:
    // from the first full second without a links frame and without a connection opened or closed, and no sooner
    // than 5 s after the tables were complete.
    const completeAt = performance.now();
    let last = '';
    const quiet = await until(() => {
      const connections = nodes.reduce((all, node) => all + node.connectionCount, 0);
      const now = `${frames.get('links') ?? 0}/${connections}`;
      const still = now === last;
      last = now;
      return still;
    }, 60_000, 1000);
    const quietMs = quiet === null ? null : performance.now() - started - 1000;
    await sleep(Math.max(0, completeAt + 5000 - performance.now()));
    const degrees = nodes.map((node) => node.peers().filter((peer) => peer.state === 'connected').length);
    const formingStallMs = loop.max / 1e6;
    loop.reset();
    frames.clear();
    bytes = 0;
    const cpuBefore = process.cpuUsage();
    const idleStarted = performance.now();
    await sleep(idleMs);
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const idle = {
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / idleSeconds) * 100,
      bytesPerSecond: bytes / idleSeconds,
      framesPerSecond: Object.fromEntries([...frames].map(([type, n]) => [type, n / idleSeconds])),
      maxStallMs: loop.max / 1e6,
    };

    // Broadcasts, one at a time from rotating senders; the first one is counted on its own (an origin's tree is
    // planned from the links records when its first broadcast after a change passes).
    frames.clear();
    let missed = 0;
    progress(`idle measured`);
    const measure = async (sender: MeshNode) => {
      const before = frames.get('msg') ?? 0;
      const sentAt = performance.now();
      const id = sender.broadcast(`bench ${sentAt}`);
      const others = nodes.filter((node) => node !== sender);
      const arrived = await until(() => others.every((node) => received.get(node.id)!.has(id)), 10_000);
      if (arrived === null) missed++;
      await sleep(50);
      const last = Math.max(...others.map((node) => received.get(node.id)!.get(id) ?? Infinity));
      return { toAll: last - sentAt, payloads: (frames.get('msg') ?? 0) - before };
    };
    const first = await measure(nodes[0]!);
    await sleep(300);
    frames.clear();
    const toAll: number[] = [];
    let payloads = 0;
    for (let index = 0; index < broadcasts; index++) {
      const result = await measure(nodes[(index * 7 + 1) % count]!);
      toAll.push(result.toAll);
      payloads += result.payloads;
    }
    await sleep(100);
    progress(`broadcasts done (${missed} did not reach everyone within 10 s)`);
    const broadcast = {
      count: broadcasts,
      missed,
      payloadsPerBroadcast: payloads / broadcasts,
      firstPayloads: first.payloads,
      ihaveMessages: (frames.get('ihave') ?? 0) / broadcasts,
      toAllP50: percentile(toAll, 50),
      toAllP99: percentile(toAll, 99),
    };

    const latencies: number[] = [];
    let unacked = 0;
    for (let index = 0; index < 50; index++) {
      const from = nodes[(index * 13) % count]!;
      const to = nodes[(index * 13 + 1 + (index % (count - 1))) % count]!;
      if (from === to) continue;
      const sentAt = performance.now();
      const acked = await Promise.race([from.send(to.id, `ping ${index}`).then(() => true, () => false), sleep(10_000).then(() => false)]);
      if (acked) latencies.push(performance.now() - sentAt);
      else unacked++;
    }

    const stopping = nodes.filter((_, index) => index % 5 === 4);
    const gone = new Set(stopping.map((node) => node.id));
    const remaining = nodes.filter((node) => !gone.has(node.id));
    const churnStarted = performance.now();
    // One node per event-loop turn, as separate processes would stop: stop() closes all of a node's links in the
    // turn it is called in (2-5 ms each at N = 60), so stopping 12 in one loop was one task of about 40 ms, and
    // every remaining node lost its 12 links within one batch of its links record (one record; in a LAN the stops
    // are spread, and a node's next record waits its interval: see docs/scale.md "Quiet when nothing changes").
    const stopped: Array<Promise<void>> = [];
    for (const node of stopping) {
      stopped.push(node.stop());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(stopped);
    progress(`sends done (${unacked} unacked); stopping ${stopping.length}`);
    const agreeAfter = await complete(remaining, gone, 60_000);

    return {
      nodes: count,
      completeMs,
      quietMs,
      links: { min: Math.min(...degrees), mean: degrees.reduce((a, b) => a + b, 0) / count, max: Math.max(...degrees) },
      idle,
      broadcast,
      send: { count: latencies.length, unacked, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      churn: { stopped: stopping.length, agreeMs: agreeAfter === null ? null : performance.now() - churnStarted },
      formingStallMs,
      maxStallMs: loop.max / 1e6,
    };
  } finally {
    loop.disable();
    await Promise.all(nodes.map((node) => node.stop()));
    PeerLink.prototype.send = send;
  }
}

serveCommands({ pid: process.pid }, {
  run: (payload) => run(Number(payload.count), Number(payload.idleMs), Number(payload.broadcasts), payload.build === undefined ? undefined : String(payload.build)),
});
