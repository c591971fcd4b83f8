// A raw TCP peer for the socket-level conformance run: it performs the opening handshake by hand,
// writes a case's bytes, and records every byte it gets back and when the other side ended TCP.
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = Buffer.from('\r\n\r\n');

/** Sec-WebSocket-Accept for a key (RFC 6455 section 4.2.2, step 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function upgradeRequest(port: number): { bytes: Buffer; key: string } {
  const key = randomBytes(16).toString('base64');
  const lines = [
    'GET /conformance HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  return { bytes: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), key };
}

export function switchingProtocols(key: string): Buffer {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptFor(key)}`];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

/** Splits an HTTP head off the bytes that follow it; null while the head is incomplete. */
export function splitHead(bytes: Buffer): { head: string; rest: Buffer } | null {
  const end = bytes.indexOf(HEAD_END);
  if (end < 0) return null;
  return { head: bytes.subarray(0, end).toString('latin1'), rest: bytes.subarray(end + HEAD_END.length) };
}

export function headerValue(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** Everything a socket receives, whether the other side ended (FIN) and whether the socket closed. */
export class SocketLog {
  private readonly chunks: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  ended = false;
  closed = false;
  readonly errors: string[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.errors.push(error.code ?? error.message);
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolves once `condition` holds; the caller guards it with a timeout. */
  until(condition: (log: SocketLog) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition(this)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Writes and waits for the write to be handed to the OS; a write the other side refused is not an error here. */
export function writeAndWait(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve();
    socket.write(bytes, () => resolve());
  });
}
