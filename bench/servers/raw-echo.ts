import net from 'node:net';
import type { EchoServer } from './echo-server.ts';

function ignore(): void {}

// No backpressure pause (ws does not pause either); the load generator bounds the bytes in flight.
function echo(this: net.Socket, chunk: Buffer): void {
  this.write(chunk);
}

/** Plain TCP echo: the upper bound any WebSocket echo can approach on this machine. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', ignore);
    socket.on('data', echo);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => sockets.size,
    description: `node ${process.version} net, data -> socket.write`,
  };
}
