import { createServer } from 'node:http';
import type * as ServerModule from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { importOurs, oursOrigin } from '../lib/ours.ts';
import type { EchoServer } from './echo-server.ts';

function ignore(): void {}

// Module-level listeners: no closure per connection, so the server's per-connection memory is the library's.
function echo(this: WebSocket, data: string | Buffer, isBinary: boolean): void {
  this.send(data, { binary: isBinary });
}

function onConnection(socket: WebSocket): void {
  socket.on('error', ignore);
  socket.on('message', echo);
}

/** Our echo server: standalone WebSocketServer, each message sent straight back. */
export async function startEchoServer(): Promise<EchoServer> {
  const { WebSocketServer } = (await importOurs('transport/server')) as typeof ServerModule;
  // Text as validated Buffers, as ws hands them out: both echo servers do the same work.
  if (process.env.WSMESH_BENCH_ATTACHED === '1') {
    const http = createServer();
    const server = new WebSocketServer({ server: http, textAsBuffer: true });
    server.on('error', ignore);
    server.on('connection', onConnection);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    return { port, connections: () => server.clients.size, description: `wsmesh on node:http (${oursOrigin()})` };
  }
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, textAsBuffer: true });
  server.on('error', ignore);
  server.on('connection', onConnection);
  const address = await server.listen();
  return { port: address.port, connections: () => server.clients.size, description: `wsmesh (${oursOrigin()})` };
}
