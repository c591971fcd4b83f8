import type * as NodeModule from '../../src/mesh/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { importOurs } from '../lib/ours.ts';
import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';

/** One mesh node in its own process, for the broadcast benchmark; times are process.hrtime (system-wide monotonic). */

let node: MeshNode | null = null;
const receivedAt = new Map<string, string>();

function running(): MeshNode {
  if (!node) throw new Error('the node has not been started');
  return node;
}

serveCommands(
  { pid: process.pid },
  {
    start: async (payload) => {
      const { name, peers } = payload as { name: string; peers: string[] };
      const { MeshNode } = (await importOurs('mesh/node')) as typeof NodeModule;
      // All bench nodes share 127.0.0.1: let one address hold every slot.
      node = new MeshNode({ name, host: '127.0.0.1', port: 0, mdns: false, peers, maxPeersPerAddress: 64 });
      node.on('message', (data) => {
        receivedAt.set(String(data), process.hrtime.bigint().toString());
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
    stop: async () => {
      await node?.stop();
      node = null;
    },
  },
);
