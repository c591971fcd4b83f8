import { fileURLToPath } from 'node:url';
import { BenchChild, startChild } from './children.ts';

/** The echo server contenders and how to start each in its own pinned process. */

export interface ServerContender {
  id: string;
  label: string;
  /** 'floor': answers a handshake and nothing else (bench/servers/floor-echo.ts; handshake-rate.ts --floor). */
  kind: 'raw' | 'ws' | 'ours' | 'floor';
  env?: Record<string, string>;
}

export const RAW: ServerContender = { id: 'raw', label: 'raw TCP echo', kind: 'raw' };
export const WS: ServerContender = { id: 'ws', label: 'ws + bufferutil', kind: 'ws' };
export const WS_NO_BUFFERUTIL: ServerContender = { id: 'ws-nobu', label: 'ws, WS_NO_BUFFER_UTIL=1', kind: 'ws', env: { WS_NO_BUFFER_UTIL: '1' } };
export const OURS: ServerContender = { id: 'ours', label: 'wsmesh', kind: 'ours' };
/** Ours attached to a node:http server (Node's C parser reads the request), for the handshake comparison. */
export const OURS_HTTP: ServerContender = { id: 'ours-http', label: 'wsmesh on http.Server', kind: 'ours', env: { WSMESH_BENCH_ATTACHED: '1' } };

export const echoServerScript = fileURLToPath(new URL('../servers/echo-server.ts', import.meta.url));

export interface RunningServer {
  contender: ServerContender;
  child: BenchChild;
  port: number;
  description: string;
}

/** Starts a server; a contender that cannot start (e.g. ours not written yet) yields its reason instead. */
export async function startEchoServer(
  contender: ServerContender,
  cpu: string,
  options: { raiseFdLimit?: boolean; exposeGc?: boolean; nodeFlags?: string[] } = {},
): Promise<RunningServer | { contender: ServerContender; unavailable: string }> {
  try {
    const { child, info } = await startChild({
      script: echoServerScript,
      args: [contender.kind],
      cpu,
      env: contender.env ?? {},
      nodeFlags: [...(options.exposeGc ? ['--expose-gc'] : []), ...(options.nodeFlags ?? [])],
      raiseFdLimit: options.raiseFdLimit ?? false,
    });
    return { contender, child, port: info.port as number, description: info.description as string };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { contender, unavailable: firstMeaningfulLine(message) };
  }
}

function firstMeaningfulLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.find((line) => /Error|Cannot|not found/i.test(line) && !line.startsWith('at ')) ?? lines[0] ?? message).slice(0, 200);
}

/** After a run the load generator resets its sockets; wait until the server has let go of them. */
export async function waitForNoConnections(server: RunningServer, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await server.child.request<number>('connections')) > 0) {
    if (performance.now() > deadline) throw new Error(`${server.contender.label} still holds connections ${timeoutMs} ms after the run`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
