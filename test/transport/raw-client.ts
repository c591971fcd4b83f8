import { connect, type Socket } from 'node:net';
import { withTimeout } from '../helpers/timeout.ts';

export const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A valid opening handshake request for `path`; `extra` lines are appended before the empty line. */
export function upgradeRequest(path = '/', extra: string[] = [], host = '127.0.0.1'): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${RFC_KEY}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves once `predicate` holds for what was received (guarded by a timeout). */
  until(predicate: (received: Buffer) => boolean, what: string, ms?: number): Promise<Buffer>;
  /** Resolves with everything received once the server closed the connection. */
  closed: Promise<Buffer>;
}

/** A plain TCP client to speak raw bytes to a server (for malformed requests and exact answers). */
export function rawConnect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawConnection> {
  const socket = connect({ port, host, localAddress });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    for (const wake of waiters) wake();
  });
  socket.on('error', () => {}); // resets after the server's answer are expected in some tests
  const received = () => Buffer.concat(chunks);
  const closed = withTimeout(
    new Promise<Buffer>((resolve) => socket.on('close', () => resolve(received()))),
    15_000,
    'waiting for the server to close the connection',
  );
  closed.catch(() => socket.destroy());
  const until = (predicate: (bytes: Buffer) => boolean, what: string, ms = 15_000) =>
    withTimeout(
      new Promise<Buffer>((resolve) => {
        const check = () => {
          if (!predicate(received())) return;
          waiters.delete(check);
          resolve(received());
        };
        waiters.add(check);
        check();
      }),
      ms,
      what,
    );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received, until, closed }));
    socket.once('error', reject);
  });
}

/** Sends `request` (in the given pieces, one write each, a pause between) and returns the whole answer. */
export async function exchange(port: number, ...pieces: Array<string | Buffer>): Promise<string> {
  const raw = await rawConnect(port);
  for (const [index, piece] of pieces.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    raw.socket.write(piece);
  }
  return (await raw.closed).toString('latin1');
}

export function statusLine(response: string): string {
  return response.slice(0, response.indexOf('\r\n'));
}

/** Resolves with the error `promise` rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}
