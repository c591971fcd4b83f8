/**
 * Our WebSocketServer as an echo server for peers we did not write, understanding the commands of
 * test/helpers/echo-commands.ts and recording what it saw of each connection (by request path).
 */
import { WebSocketServer } from '../../../src/transport/server.ts';
import type { WebSocketServerOptions } from '../../../src/transport/server.ts';
import type { WebSocket } from '../../../src/transport/websocket.ts';
import { PONG_REPLY, parseEchoCommand } from '../../helpers/echo-commands.ts';
import type { EchoCommand } from '../../helpers/echo-commands.ts';
import { binaryPayload, textPayload } from '../../helpers/payloads.ts';
import { LOOPBACK } from '../../helpers/ports.ts';
import { withTimeout } from '../../helpers/timeout.ts';
import { FRAGMENTED_BINARY, FRAGMENTED_TEXT } from './echo-fixtures.ts';
import type { CloseEvent } from './inbox.ts';

export interface MessageSeen {
  isBinary: boolean;
  /** Bytes of the message (UTF-8 bytes for text). */
  size: number;
  /** Whether our API delivered it as a string (text) or a Buffer (binary). */
  deliveredAs: 'string' | 'buffer';
  /** Whether it equals textPayload(size) / binaryPayload(size) of test/helpers/payloads.ts. */
  isInteropPayload: boolean;
}

export interface ConnectionSeen {
  path: string;
  messages: MessageSeen[];
  pings: Buffer[];
  errors: Error[];
  closed: Promise<CloseEvent>;
}

export interface OurEchoServer {
  url(path: string): string;
  /** The record of the connection at `path` (resolves once it is open). */
  connection(path: string): Promise<ConnectionSeen>;
  stop(): Promise<void>;
}

function describeMessage(data: string | Buffer, isBinary: boolean): MessageSeen {
  if (typeof data === 'string') {
    const size = Buffer.byteLength(data);
    return { isBinary, size, deliveredAs: 'string', isInteropPayload: data === textPayload(size) };
  }
  return { isBinary, size: data.length, deliveredAs: 'buffer', isInteropPayload: data.equals(binaryPayload(data.length)) };
}

function runCommand(ws: WebSocket, command: EchoCommand): void {
  switch (command.kind) {
    case 'close':
      ws.close(command.code, command.reason);
      return;
    case 'ping':
      ws.once('pong', (payload) => ws.send(`${PONG_REPLY} ${payload.toString('utf8')}`));
      ws.ping(command.payload);
      return;
    case 'fragmented':
      // Fragmented on the wire only when the server runs with `fragmentSize`.
      ws.send(command.type === 'text' ? FRAGMENTED_TEXT : FRAGMENTED_BINARY);
      return;
  }
}

export async function startOurEchoServer(options: WebSocketServerOptions = {}): Promise<OurEchoServer> {
  const server = new WebSocketServer({ host: LOOPBACK, port: 0, ...options });
  const seen = new Map<string, ConnectionSeen>();
  const waiters = new Map<string, (connection: ConnectionSeen) => void>();

  server.on('connection', (ws, request) => {
    let resolveClosed!: (event: CloseEvent) => void;
    const connection: ConnectionSeen = {
      path: request.target,
      messages: [],
      pings: [],
      errors: [],
      closed: new Promise((resolve) => (resolveClosed = resolve)),
    };
    ws.on('message', (data, isBinary) => {
      connection.messages.push(describeMessage(data, isBinary));
      const command = typeof data === 'string' ? parseEchoCommand(data) : null;
      if (command) runCommand(ws, command);
      else ws.send(data, { binary: isBinary });
    });
    ws.on('ping', (payload) => connection.pings.push(payload));
    ws.on('error', (error) => connection.errors.push(error));
    ws.on('close', (code, reason, wasClean) => resolveClosed({ code, reason, wasClean }));
    seen.set(connection.path, connection);
    waiters.get(connection.path)?.(connection);
  });
  const { port } = await server.listen();

  return {
    url: (path) => `ws://${LOOPBACK}:${port}${path}`,
    connection: (path) => {
      const connection = seen.get(path);
      if (connection) return Promise.resolve(connection);
      const opened = new Promise<ConnectionSeen>((resolve) => waiters.set(path, resolve));
      return withTimeout(opened, 30_000, `waiting for a connection at ${path}`);
    },
    stop: () => server.close(),
  };
}

/** The close event of a connection, with a hang guard. */
export function closeOf(connection: ConnectionSeen): Promise<CloseEvent> {
  return withTimeout(connection.closed, 30_000, `waiting for the close of ${connection.path}`);
}
