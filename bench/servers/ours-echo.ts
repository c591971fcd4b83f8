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
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, textAsBuffer: true });
  server.on('error', ignore);
  server.on('connection', onConnection);
  const address = await server.listen();
  return { port: address.port, connections: () => server.clients.size, description: `wsmesh (${oursOrigin()})` };
}
