import { createHash } from 'node:crypto';
import net from 'node:net';
import type { EchoServer } from './echo-server.ts';

function ignore(): void {}
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = Buffer.from('Sec-WebSocket-Key: ');

/**
 * Not an echo server: the least a Node server can do per WebSocket handshake (find the key in the first chunk,
 * answer 101, keep the socket; no checks, no WebSocket after it). A floor for handshake CPU and rate
 * (bench/tools/handshake-rate.ts --floor); assumes the whole request in one chunk, as the load generator sends it.
 */
function onData(this: net.Socket, chunk: Buffer): void {
  this.off('data', onData);
  const at = chunk.indexOf(KEY) + KEY.length;
  const key = chunk.toString('latin1', at, at + 24);
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  this.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

export async function startEchoServer(): Promise<EchoServer> {
  let open = 0;
  const server = net.createServer((socket) => {
    open++;
    socket.on('close', () => open--);
    socket.on('error', ignore);
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
  return { port: (server.address() as net.AddressInfo).port, connections: () => open, description: `node ${process.version} net, 101 only` };
}
