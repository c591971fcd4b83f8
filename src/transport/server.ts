import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_HEAD_SIZE, HttpRequestParser } from '../handshake/http-head-parser.ts';
import {
  answerHandshake,
  preferProtocols,
  rejection,
  targetPath,
  type HandshakeRequest,
  type ServerHandshakeOptions,
  type ServerHandshakeOutcome,
} from '../handshake/server-handshake.ts';
import { CloseCode } from '../protocol/constants.ts';
import { WsHandshakeError, WsStateError } from '../protocol/errors.ts';
import type { DeflateOptions } from '../protocol/permessage-deflate.ts';
import { requestFromIncomingMessage } from './incoming-message.ts';
import { WsmeshOptionError } from '../errors.ts';
import { checkOptions } from '../options-check.ts';
import type { OptionKind } from '../options-check.ts';
import { CONNECTION_SETTINGS, openWebSocket, type ConnectionSettings } from './open-websocket.ts';
import type { WebSocket } from './websocket.ts';

/** Also the per-connection settings (maxPayload, autoPong, fragmentSize, closeTimeout, highWaterMark, noDelay). */
export interface WebSocketServerOptions extends Omit<ConnectionSettings, 'generateMask' | 'perMessageDeflate'> {
  /** Standalone mode: port for `listen()`. Default 0 (the OS picks one; see `address()`). */
  port?: number;
  /** Standalone mode: address to listen on. Default: all interfaces (Node's default). */
  host?: string;
  /** Attached mode: serve WebSocket upgrades of this HTTP(S) server; its other requests stay its own. */
  server?: HttpServer | HttpsServer;
  /** Manual mode: no listener at all; pass upgrades in with `handleUpgrade()`. */
  noServer?: boolean;
  /** Only upgrade requests for this path (query ignored). Default: any path. */
  path?: string;
  /** Subprotocols the server speaks, in its order of preference. Default: none. */
  protocols?: readonly string[];
  /** Custom subprotocol choice (overrides `protocols`); return undefined for none. */
  handleProtocols?: (offered: readonly string[], request: HandshakeRequest) => string | undefined;
  /** Return false to refuse with 403. `origin` is undefined for clients that send none. Default: allow all. */
  verifyOrigin?: (origin: string | undefined, request: HandshakeRequest) => boolean;
  /** Largest HTTP request head in bytes, standalone mode. Default 16 KiB; larger: 431. */
  maxHeaderSize?: number;
  /** Standalone mode: ms a client has to send its complete request. Default 10000; then 408. */
  handshakeTimeout?: number;
  /** `close()` waits this long (ms) for connections to finish their closing handshake. Default 10000. */
  shutdownTimeout?: number;
  /**
   * Accept permessage-deflate offers: `true` or options for every client, or a function deciding per request
   * (e.g. only for browsers). Default false: offers are declined.
   */
  perMessageDeflate?: boolean | DeflateOptions | ((request: UpgradeRequest) => boolean | DeflateOptions);
}

/** The handshake request of an accepted or refused connection. */
export interface UpgradeRequest extends HandshakeRequest {
  /** Path of the request target, without the query. */
  path: string;
  /** Subprotocols the client offered, in its order. */
  offeredProtocols: string[];
  remoteAddress?: string;
  remotePort?: number;
}

export interface WebSocketServerEvents {
  connection: [ws: WebSocket, request: UpgradeRequest];
  /** A handshake was refused; the client got `error.status` and a closed connection. For logging. */
  rejected: [error: WsHandshakeError, remoteAddress: string | undefined];
  error: [error: Error];
  listening: [];
  close: [];
}

const SERVER_OPTIONS = {
  ...CONNECTION_SETTINGS,
  port: ['number'], host: ['string'], server: ['object'], noServer: ['boolean'], path: ['string'], protocols: ['string[]'],
  handleProtocols: ['function'], verifyOrigin: ['function'], maxHeaderSize: ['number'], handshakeTimeout: ['number'], shutdownTimeout: ['number'],
  perMessageDeflate: ['boolean', 'object', 'function'],
} as const satisfies Record<keyof WebSocketServerOptions, readonly OptionKind[]>;

type OpenCallback = (ws: WebSocket, request: UpgradeRequest) => void;

/** A refused client keeps its socket this long (ms) to read our answer before it is destroyed. */
const LINGER_AFTER_REFUSAL = 2000;
const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/**
 * Accepts WebSocket connections (server role): standalone on its own `net.Server`, attached to an
 * `http.Server`'s 'upgrade' event (one port for pages and WebSockets), or fed by `handleUpgrade()`.
 */
export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  /** Open connections; each is removed when it closes. */
  readonly clients = new Set<WebSocket>();
  readonly #options: WebSocketServerOptions;
  readonly #netServer: NetServer | undefined;
  readonly #httpServer: HttpServer | HttpsServer | undefined;
  /** Standalone mode: sockets still sending their request, with their parser and deadline (in arrival order). */
  readonly #handshaking = new Map<Socket, { parser: HttpRequestParser; deadline: number }>();
  readonly #handshakeTimeout: number;
  /** One timer for all pending handshakes, set while there are any: it fires at the oldest one's deadline. */
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onHandshakeTimer = () => this.#handshakeTimeUp();
  /** Shared listeners of the sockets in #handshaking (`this` is the socket). */
  readonly #onHandshakeData: (this: Socket, chunk: Buffer) => void;
  readonly #onHandshakeClose: (this: Socket) => void;
  #closing: Promise<void> | undefined;
  /** The handshake options for answerHandshake, without and with deflate: built once, not per upgrade. */
  readonly #handshakeOptions: [ServerHandshakeOptions, ServerHandshakeOptions];
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgradeFromHttp(request, socket, head);
  readonly #onHttpListening = () => this.emit('listening');
  /** One 'close' listener shared by all of this server's connections (no closure or once-wrapper per connection). */
  readonly #onClientClose: (this: WebSocket) => void;

  constructor(options: WebSocketServerOptions = {}) {
    super();
    checkOptions('new WebSocketServer()', options, SERVER_OPTIONS);
    if (options.server && options.noServer) throw new WsmeshOptionError('options server and noServer exclude each other');
    if ((options.server || options.noServer) && (options.port !== undefined || options.host !== undefined)) {
      throw new WsmeshOptionError('options port and host are for standalone mode, not with server or noServer');
    }
    this.#options = options;
    const clients = this.clients;
    this.#onClientClose = function (this: WebSocket) {
      clients.delete(this);
    };
    this.#handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    const server = this;
    this.#onHandshakeData = function (this: Socket, chunk: Buffer) {
      server.#handshakeData(this, chunk);
    };
    this.#onHandshakeClose = function (this: Socket) {
      server.#endHandshake(this);
    };
    const selectProtocol = options.handleProtocols ?? preferProtocols(options.protocols ?? []);
    this.#handshakeOptions = [
      { selectProtocol, verifyOrigin: options.verifyOrigin, perMessageDeflate: false },
      { selectProtocol, verifyOrigin: options.verifyOrigin, perMessageDeflate: true },
    ];
    if (options.server) {
      this.#httpServer = options.server;
      this.#httpServer.on('upgrade', this.#onUpgrade);
      this.#httpServer.on('listening', this.#onHttpListening);
    } else if (!options.noServer) {
      this.#netServer = createServer((socket) => this.#acceptRawSocket(socket));
      // Failures to listen reject listen(); only errors of a listening server are emitted.
      this.#netServer.on('error', (error) => {
        if (this.#netServer?.listening) this.emit('error', error);
      });
    }
  }

  /** Standalone mode: starts listening; resolves with the bound address (rejects on e.g. EADDRINUSE). */
  listen(port = this.#options.port ?? 0, host = this.#options.host): Promise<AddressInfo> {
    const server = this.#netServer;
    if (!server) return Promise.reject(new WsStateError('listen() is only for standalone mode (no server/noServer option)'));
    if (this.#closing) return Promise.reject(new WsStateError('the server is closed'));
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        this.emit('listening');
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** The listening address: own server in standalone mode, the HTTP server's when attached. */
  address(): AddressInfo | null {
    const address = (this.#netServer ?? this.#httpServer)?.address();
    return address && typeof address === 'object' ? address : null;
  }

  /**
   * Completes (or refuses) the handshake of an `http.Server` 'upgrade' event: writes the answer, then
   * calls `callback` with the open WebSocket, or emits 'connection' when there is no callback.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback?: OpenCallback): void {
    socket.on('error', destroyOnError);
    const remote = { remoteAddress: request.socket.remoteAddress, remotePort: request.socket.remotePort };
    this.#answer(requestFromIncomingMessage(request), socket, head, remote, callback);
  }

  /**
   * Graceful shutdown: stops accepting, drops unfinished handshakes, closes open connections with 1001
   * and waits for them (at most `shutdownTimeout`, then they are terminated). Attached mode leaves
   * the HTTP server running. Emits 'close' once done; later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    this.#httpServer?.off('upgrade', this.#onUpgrade);
    this.#httpServer?.off('listening', this.#onHttpListening);
    const stopped = this.#netServer?.listening
      ? new Promise<void>((resolve) => this.#netServer!.close(() => resolve()))
      : Promise.resolve();
    for (const socket of this.#handshaking.keys()) socket.destroy();
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const clients = [...this.clients];
    const closed = clients.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const ws of clients) ws.close(CloseCode.GoingAway, 'server shutting down');
    const deadline = setTimeout(() => {
      for (const ws of clients) ws.terminate();
    }, this.#options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT);
    await Promise.all([...closed, stopped]);
    clearTimeout(deadline);
    this.emit('close');
  }

  #upgradeFromHttp(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = targetPath(request.url ?? '');
    const othersMayHandle = (this.#httpServer?.listenerCount('upgrade') ?? 0) > 1;
    if (this.#options.path !== undefined && path !== this.#options.path && othersMayHandle) return;
    this.handleUpgrade(request, socket, head);
  }

  /**
   * Standalone mode: reads the request with our own parser, within the handshake timeout. The socket's
   * listeners are shared by all sockets of this server (they find their state through `this`), and one timer
   * serves all pending handshakes: no closures or timer per connection.
   */
  #acceptRawSocket(socket: Socket): void {
    socket.on('error', destroyOnError);
    if (this.#closing) return this.#refuse(socket, rejection(503, 'server is shutting down'), socket.remoteAddress);
    const parser = new HttpRequestParser(this.#options.maxHeaderSize ?? DEFAULT_MAX_HEAD_SIZE);
    this.#handshaking.set(socket, { parser, deadline: performance.now() + this.#handshakeTimeout });
    this.#handshakeTimer ??= setTimeout(this.#onHandshakeTimer, this.#handshakeTimeout);
    socket.on('data', this.#onHandshakeData);
    socket.on('close', this.#onHandshakeClose);
  }

  /** A chunk of a request head (shared 'data' listener of sockets still in their handshake). */
  #handshakeData(socket: Socket, chunk: Buffer): void {
    const pending = this.#handshaking.get(socket);
    if (pending === undefined) return;
    let parsed;
    try {
      parsed = pending.parser.push(chunk);
    } catch (error) {
      if (!(error instanceof WsHandshakeError)) throw error;
      this.#endHandshake(socket);
      return this.#refuse(socket, rejection(error.status ?? 400, error.message), socket.remoteAddress);
    }
    if (!parsed) return;
    this.#endHandshake(socket);
    const remote = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    this.#answer(parsed.head, socket, parsed.rest, remote);
  }

  #endHandshake(socket: Socket): void {
    socket.off('data', this.#onHandshakeData);
    socket.off('close', this.#onHandshakeClose);
    this.#handshaking.delete(socket);
    if (this.#handshaking.size === 0 && this.#handshakeTimer !== undefined) {
      clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = undefined;
    }
  }

  /**
   * Refuses the handshakes whose time is up. All have the same timeout, so the map (in insertion order) is
   * in deadline order: stop at the first that still has time and wait for it.
   */
  #handshakeTimeUp(): void {
    this.#handshakeTimer = undefined;
    const now = performance.now();
    for (const [socket, { deadline }] of this.#handshaking) {
      if (deadline > now) {
        this.#handshakeTimer = setTimeout(this.#onHandshakeTimer, Math.ceil(deadline - now));
        return;
      }
      this.#endHandshake(socket);
      this.#refuse(socket, rejection(408, `request not complete within ${this.#handshakeTimeout} ms`), socket.remoteAddress);
    }
  }

  /** Validates a complete request and either opens the WebSocket or refuses with an HTTP error. */
  #answer(
    request: HandshakeRequest,
    socket: Duplex,
    head: Buffer,
    remote: { remoteAddress?: string; remotePort?: number },
    callback: OpenCallback = (ws, upgrade) => this.emit('connection', ws, upgrade),
  ): void {
    if (this.#closing) return this.#refuse(socket, rejection(503, 'server is shutting down'), remote.remoteAddress);
    const path = targetPath(request.target);
    if (path !== null && this.#options.path !== undefined && path !== this.#options.path) {
      return this.#refuse(socket, rejection(404, `no WebSocket endpoint at ${JSON.stringify(path)}`), remote.remoteAddress);
    }
    // Built field by field: object spreads per upgrade showed in the handshakes/s profile.
    const upgrade: UpgradeRequest = {
      method: request.method,
      target: request.target,
      httpVersion: request.httpVersion,
      headers: request.headers,
      path: path ?? '',
      offeredProtocols: request.headers.list('sec-websocket-protocol'),
      remoteAddress: remote.remoteAddress,
      remotePort: remote.remotePort,
    };
    const deflate = this.#deflateFor(upgrade);
    if (typeof deflate === 'object' && 'accepted' in deflate) return this.#refuse(socket, deflate, remote.remoteAddress);
    const outcome = answerHandshake(request, this.#handshakeOptions[deflate === false ? 0 : 1]);
    if (!outcome.accepted) return this.#refuse(socket, outcome, remote.remoteAddress);
    socket.off('error', destroyOnError);
    socket.write(outcome.response);
    const identity = { role: 'server', protocol: outcome.protocol, deflate: outcome.deflate } as const;
    const ws = openWebSocket(socket, head, identity, this.#options, deflate);
    this.clients.add(ws);
    ws.on('close', this.#onClientClose);
    upgrade.offeredProtocols = outcome.offeredProtocols;
    callback(ws, upgrade);
  }

  /** Whether to accept a permessage-deflate offer from this client; a hook that throws refuses with 500. */
  #deflateFor(request: UpgradeRequest): boolean | DeflateOptions | (ServerHandshakeOutcome & { accepted: false }) {
    const { perMessageDeflate = false } = this.#options;
    if (typeof perMessageDeflate !== 'function') return perMessageDeflate;
    try {
      return perMessageDeflate(request);
    } catch (error) {
      return rejection(500, `perMessageDeflate threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Sends the error response, reads and discards what the client still sends, closes after a while. */
  #refuse(socket: Duplex, outcome: ServerHandshakeOutcome & { accepted: false }, remoteAddress: string | undefined): void {
    endWithResponse(socket, outcome.response);
    this.emit('rejected', outcome.error, remoteAddress);
  }
}

/**
 * Sends a final HTTP response and ends the connection. What the client still sends is read and discarded
 * (closing with unread input would reset the connection, and the client might never see the response);
 * after a short linger the socket is destroyed whatever the client does.
 */
export function endWithResponse(socket: Duplex, response: Buffer): void {
  socket.end(response);
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), LINGER_AFTER_REFUSAL);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** Socket errors (resets, ...) during the handshake end that socket only; they never reach the process. */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}
