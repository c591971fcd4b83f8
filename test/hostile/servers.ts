// Standalone WebSocketServers on 127.0.0.1 for the hostile tests, and mesh nodes, all stopped after each test.
import { WebSocketServer } from '../../src/transport/server.ts';
import type { WebSocketServerOptions } from '../../src/transport/server.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { stopAllNodes } from '../mesh/support.ts';

const servers = new Set<WebSocketServer>();

/** A listening server (closed by `stopAll`); `port` is where it listens. */
export async function startServer(options: WebSocketServerOptions = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', ...options });
  servers.add(wss);
  const { port } = await wss.listen();
  return { wss, port };
}

/** For `test.after.each`: closes every server and stops every node started by the tests. */
export async function stopAll(): Promise<void> {
  await Promise.all([...servers].map((wss) => withTimeout(wss.close(), 15_000, 'closing a test server')));
  servers.clear();
  await stopAllNodes();
}
