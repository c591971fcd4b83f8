import net from 'node:net';
import { once } from 'node:events';

/** Two connected TCP sockets on 127.0.0.1: [the accepted one, the dialling one]. */
export async function socketPair(options: { allowHalfOpen?: boolean } = {}): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const dialled = net.connect(port, '127.0.0.1');
  await once(dialled, 'connect');
  const [socket] = await accepted;
  server.close();
  return [socket, dialled];
}

/** A frame as a client sends it: masked with the key 00 00 00 00 unless given, so payload bytes stay readable. */
export function clientFrame(firstByte: number, payload: Buffer | string, key = [0, 0, 0, 0]): Buffer {
  const body = Buffer.from(payload);
  if (body.length > 125) throw new RangeError('test frames are small');
  const masked = Buffer.from(body.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([Buffer.from([firstByte, 0x80 | body.length, ...key]), masked]);
}

/** Collects everything a raw socket receives. */
export function collect(socket: net.Socket): { bytes: () => Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  return { bytes: () => Buffer.concat(chunks), ended };
}
