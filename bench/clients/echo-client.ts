import { cpuSnapshot, serveCommands } from '../lib/child-ipc.ts';
import { makePayload } from '../load/frames.ts';
import { oursOrigin } from '../lib/ours.ts';
import { describeWs } from '../servers/ws-flavour.ts';

/**
 * A WebSocket client library driving an echo server: `echo-client.ts ours|ws`. It keeps `inflight`
 * messages outstanding and reports messages, bytes and its own CPU time.
 */

export interface ClientSocket {
  send(data: string | Buffer): void;
  onMessage(listener: (data: unknown) => void): void;
  close(): void;
}

const loaders: Record<string, () => Promise<{ openClient(url: string): Promise<ClientSocket>; description(): string }>> = {
  ws: async () => ({ openClient: (await import('./ws-client.ts')).openClient, description: describeWs }),
  ours: async () => {
    const { openClient } = await import('./ours-client.ts');
    return { openClient, description: () => `wsmesh connect() (${oursOrigin()})` };
  },
};

const kind = process.argv[2] ?? '';
const load = loaders[kind];
if (!load) throw new Error(`unknown client kind "${kind}" (expected ${Object.keys(loaders).join(', ')})`);
const library = await load();

let active: { socket: ClientSocket; messages: number; bytes: number } | null = null;

serveCommands(
  { description: library.description() },
  {
    start: async (payload) => {
      const { url, size, binary, inflight } = payload as { url: string; size: number; binary: boolean; inflight: number };
      const message = binary ? makePayload(size, true) : makePayload(size, false).toString('utf8');
      const socket = await library.openClient(url);
      const run = { socket, messages: 0, bytes: 0 };
      socket.onMessage(() => {
        run.messages++;
        run.bytes += size;
        socket.send(message);
      });
      for (let i = 0; i < inflight; i++) socket.send(message);
      active = run;
    },
    snapshot: () => ({ messages: active?.messages ?? 0, bytes: active?.bytes ?? 0, ...cpuSnapshot() }),
    stop: () => {
      active?.socket.close();
      active = null;
    },
  },
);
