import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';

/**
 * An echo server in its own process: `echo-server.ts raw|ws|ours`. Reports its port when ready and answers
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
};

const kind = process.argv[2] ?? '';
const load = loaders[kind];
if (!load) throw new Error(`unknown echo server kind "${kind}" (expected ${Object.keys(loaders).join(', ')})`);
const server = await (await load()).startEchoServer();
const gc = (globalThis as { gc?: () => void }).gc;

serveCommands(
  { port: server.port, description: server.description },
  {
    usage: () => ({ ...cpuSnapshot(), connections: server.connections() }),
    connections: () => server.connections(),
    memory: async () => {
      for (let i = 0; i < 3 && gc; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return process.memoryUsage();
    },
  },
);
