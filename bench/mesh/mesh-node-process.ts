import type * as NodeModule from '../../src/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { importOurs } from '../lib/ours.ts';
import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';

/**
 * One mesh node in its own process, for the mesh and secure benchmarks; times are process.hrtime (system-wide
 * monotonic). `build` picks another build of the library (the plain pre-Noise one of the secure section).
 */

let node: MeshNode | null = null;
let build: string | undefined;
let secret: string | undefined;
const receivedAt = new Map<string, string>();
/** Links each message travelled (1: straight from its origin). */
const hopsOf = new Map<string, number>();

function running(): MeshNode {
  if (!node) throw new Error('the node has not been started');
  return node;
}

async function newNode(name: string, peers: string[]): Promise<MeshNode> {
  // src/node.ts composes the node; builds from before it (the v1 build of the secure bench) have createNode in mesh/node.
  const { createNode } = (await importOurs('node', build).catch(() => importOurs('mesh/node', build))) as typeof NodeModule;
  // All bench nodes share 127.0.0.1: let one address hold every slot.
  return createNode({ name, host: '127.0.0.1', port: 0, mdns: false, ephemeralIdentity: true, peers, secret, maxPeersPerAddress: 64 });
}

function connectedOnce(peerNode: MeshNode): Promise<void> {
  return new Promise((resolve) => peerNode.once('peer:connected', () => resolve()));
}

serveCommands(
  { pid: process.pid },
  {
    start: async (payload) => {
      const { name, peers } = payload as { name: string; peers: string[] };
      build = (payload as { build?: string }).build;
      secret = (payload as { secret?: string }).secret;
      node = await newNode(name, peers);
      node.on('message', (data, info: { hops?: number }) => {
        receivedAt.set(String(data), process.hrtime.bigint().toString());
        hopsOf.set(String(data), info?.hops ?? 1);
      });
      node.on('warning', () => {});
      await node.start();
      return { url: node.urls.find((url) => url.includes('127.0.0.1')) ?? node.urls[0], id: node.id };
    },
    connected: () => running().peers().filter((peer) => peer.state === 'connected').length,
    reachable: () => running().peers().filter((peer) => peer.reachable).length,
    cpu: () => cpuSnapshot(),
    broadcast: (payload) => {
      const sentAt = process.hrtime.bigint().toString();
      running().broadcast(String(payload.text));
      return sentAt;
    },
    received: (payload) => receivedAt.get(String(payload.text)) ?? null,
    hops: (payload) => hopsOf.get(String(payload.text)) ?? null,
    /** Link setup, ms: a fresh node (started untimed) dials `url`, until its peer:connected; then it stops. */
    linkSetup: async (payload) => {
      const { url, rounds } = payload as { url: string; rounds: number };
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const dialer = await newNode(`dialer-${round}`, []);
        await dialer.start();
        const connected = connectedOnce(dialer);
        const started = performance.now();
        dialer.addPeer(url);
        await connected;
        times.push(performance.now() - started);
        await dialer.stop();
      }
      return times;
    },
    /** Sends `count` acked direct messages of `size` bytes to `to`, `window` unacknowledged at a time; elapsed ms. */
    sendMany: async (payload) => {
      const { to, count, size, window } = payload as { to: string; count: number; size: number; window: number };
      const self = running();
      const data = new Uint8Array(size).fill(0x61);
      const started = performance.now();
      let sent = 0;
      await new Promise<void>((resolve, reject) => {
        let acked = 0;
        const next = (): void => {
          if (sent >= count) return;
          sent++;
          self.send(to, data).then(() => {
            acked++;
            if (acked === count) resolve();
            else next();
          }, reject);
        };
        for (let i = 0; i < Math.min(window, count); i++) next();
      });
      return performance.now() - started;
    },
    stop: async () => {
      await node?.stop();
      node = null;
    },
  },
);
