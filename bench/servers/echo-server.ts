import { getHeapSpaceStatistics } from 'node:v8';
import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';

/**
 * An echo server in its own process: `echo-server.ts raw|ws|ours|floor` (floor: handshakes only). Reports its port when ready and answers
 * the parent's questions about CPU time, memory and open connections.
 */

export interface EchoServer {
  port: number;
  connections(): number;
  /** Which implementation runs, e.g. "ws 8.23.0, bufferutil native". */
  description: string;
}

const loaders: Record<string, () => Promise<{ startEchoServer(): Promise<EchoServer> }>> = {
  raw: () => import('./raw-echo.ts'),
  ws: () => import('./ws-echo.ts'),
  ours: () => import('./ours-echo.ts'),
  floor: () => import('./floor-echo.ts'),
};

const kind = process.argv[2] ?? '';
const load = loaders[kind];
if (!load) throw new Error(`unknown echo server kind "${kind}" (expected ${Object.keys(loaders).join(', ')})`);
const server = await (await load()).startEchoServer();
const gc = (globalThis as { gc?: () => void }).gc;

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3 && gc; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Bytes V8 has reserved for the young generation (both semi-spaces), used or not. */
function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

serveCommands(
  { port: server.port, description: server.description },
  {
    usage: () => ({ ...cpuSnapshot(), connections: server.connections() }),
    connections: () => server.connections(),
    memory: async (payload) => {
      await collectGarbage();
      // `settleTo`: wait (at most `settleMs`) until V8's memory reducer has shrunk the young generation back to
      // that size. A burst of handshakes grows it to its maximum (tens of MiB of RSS) and V8 gives it back after
      // about 8 s without much allocation, so RSS right after the burst overstates what idle connections keep.
      const settleTo = payload.settleTo as number | undefined;
      const started = performance.now();
      if (settleTo !== undefined) {
        const deadline = started + ((payload.settleMs as number | undefined) ?? 15_000);
        while (newSpaceSize() > settleTo && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
        await collectGarbage();
      }
      return { ...process.memoryUsage(), newSpace: newSpaceSize(), settledMs: performance.now() - started };
    },
  },
);
