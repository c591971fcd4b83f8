import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeWs } from './ws-flavour.ts';
import type { EchoServer } from './echo-server.ts';

function ignore(): void {}

// Module-level listeners: no closure per connection, so the server's per-connection memory is the library's.
function echo(this: WebSocket, data: Buffer, isBinary: boolean): void {
  this.send(data, { binary: isBinary });
}

function onConnection(socket: WebSocket): void {
  socket.on('error', ignore);
  socket.on('message', echo);
}

/** The `ws` echo server; WS_NO_BUFFER_UTIL=1 in the environment turns bufferutil off. */
export async function startEchoServer(): Promise<EchoServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 1024 });
  server.on('connection', onConnection);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => server.clients.size,
    description: describeWs(),
  };
}
