import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorResponse } from '../handshake/server-handshake.ts';
import { endWithResponse } from '../transport/server.ts';

/** Largest HTTP request head on a node's port, in bytes (set explicitly: `--max-http-header-size` cannot raise it). */
export const NODE_MAX_HEADER_SIZE = 16 * 1024;
/**
 * Default of `maxPendingPerAddress`: as many handshakes as a node has peer slots by default (`maxPeers` 64), so
 * that a whole office behind one NAT, or a host running many nodes, can join at once.
 */
export const DEFAULT_MAX_PENDING_PER_ADDRESS = 64;
/**
 * Default of `maxPending`: handshakes in flight over all addresses, the scarce resource (each may hold up to
 * 256 KiB of hello until it is parsed). Four addresses at their cap fill it.
 */
export const DEFAULT_MAX_PENDING = 256;

/** A connection the node refused before it became a WebSocket: the HTTP status sent and why. */
export interface InboundRefusal {
  status: number;
  reason: string;
  remoteAddress: string | undefined;
}

/**
 * Options for the node's `http.Server`: the request head (of a page request or a WebSocket upgrade) must be
 * complete within `handshakeTimeout`, checked often enough to drop a slowloris client close to that time.
 */
export function httpServerOptions(handshakeTimeout: number): ServerOptions {
  return {
    headersTimeout: handshakeTimeout,
    requestTimeout: Math.max(handshakeTimeout, 300_000),
    connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(handshakeTimeout / 4))),
    maxHeaderSize: NODE_MAX_HEADER_SIZE,
  };
}

/**
 * Guards a node's port against hostile clients before they are peers:
 * - at most `maxPending` connections that are not established mesh links (HTTP connections, and WebSockets
 *   whose hello/auth/welcome is not done), and at most `maxPendingPerAddress` of them per remote IP; beyond
 *   either, 503 and close;
 * - malformed, oversized (431) and slow (408) request heads are answered and closed, and reported.
 */
export class InboundGuard {
  readonly #pending = new Map<string, number>();
  #total = 0;
  readonly #addressOf = new WeakMap<Duplex, string>();
  readonly #answered = new WeakSet<Duplex>();

  constructor(
    readonly maxPendingPerAddress: number,
    readonly maxPending: number,
    readonly handshakeTimeout: number,
    readonly onRefusal: (refusal: InboundRefusal) => void,
  ) {}

  watch(http: HttpServer): void {
    // Before Node's own listener, so that a refused socket is answered before its request is parsed.
    http.prependListener('connection', (socket: Socket) => this.#onConnection(socket));
    http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(error, socket));
  }

  /** Whether this socket was already answered with an error: its requests and upgrades must be ignored. */
  isRefused(socket: Duplex): boolean {
    return this.#answered.has(socket);
  }

  /** Connections from `address` that count against the limit now. */
  pendingFrom(address: string): number {
    return this.#pending.get(address) ?? 0;
  }

  /** The socket became an established mesh link (or closed): it no longer counts against its address. */
  release(socket: Duplex): void {
    const address = this.#addressOf.get(socket);
    if (address === undefined) return;
    this.#addressOf.delete(socket);
    this.#total--;
    const count = (this.#pending.get(address) ?? 1) - 1;
    if (count > 0) this.#pending.set(address, count);
    else this.#pending.delete(address);
  }

  #onConnection(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const count = this.pendingFrom(address);
    if (count >= this.maxPendingPerAddress) {
      const reason = `${count} connections from ${address} are not established peers yet (limit ${this.maxPendingPerAddress}); try again later`;
      return this.#refuse(socket, 503, reason, true);
    }
    if (this.#total >= this.maxPending) {
      const reason = `${this.#total} connections are not established peers yet (limit ${this.maxPending}); try again later`;
      return this.#refuse(socket, 503, reason, true);
    }
    this.#total++;
    this.#pending.set(address, count + 1);
    this.#addressOf.set(socket, address);
    socket.once('close', () => this.release(socket));
  }

  /** Node's HTTP parser failed on this socket; it reports again for every later chunk, so answer only once. */
  #onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (this.#answered.has(socket)) return;
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const received = (socket as Partial<Socket>).bytesRead ?? 0;
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      return this.#refuse(socket, 431, `HTTP request head larger than ${NODE_MAX_HEADER_SIZE} bytes`, true);
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // A connection that never sent a byte (a browser's spare connection) is closed without a report.
      return this.#refuse(socket, 408, `request head not complete within ${this.handshakeTimeout} ms`, received > 0);
    }
    this.#refuse(socket, 400, `malformed HTTP request (${error.code ?? error.message})`, true);
  }

  #refuse(socket: Duplex, status: number, reason: string, report: boolean): void {
    this.#answered.add(socket);
    endWithResponse(socket, errorResponse(status, reason));
    if (report) this.onRefusal({ status, reason, remoteAddress: (socket as Partial<Socket>).remoteAddress });
  }
}
