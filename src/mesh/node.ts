import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isSameMesh } from '../discovery/discovery.ts';
import type { DiscoveredPeer, Discovery } from '../discovery/discovery.ts';
import { CloseCode } from '../protocol/constants.ts';
import { connect } from '../transport/connect.ts';
import { WebSocketServer } from '../transport/server.ts';
import type { UpgradeRequest } from '../transport/server.ts';
import type { WebSocket } from '../transport/websocket.ts';
import { MeshCloseCode, isRefusal } from './close-codes.ts';
import { compressionFor } from './compression.ts';
import { InboundGuard, httpServerOptions } from './inbound-guard.ts';
import type { InboundRefusal } from './inbound-guard.ts';
import { createDefaultDiscovery } from './default-discovery.ts';
import { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from './envelope.ts';
import type { DecodedFrame } from './envelope.ts';
import type { LocalIdentity } from './handshake.ts';
import { PeerLink } from './link.ts';
import type { DisconnectReason, LinkHandler } from './link.ts';
import { listenUrls, wsUrl } from './listen-urls.ts';
import { MeshRouter } from './router.ts';
import type { MessageInfo } from './messenger.ts';
import { normalizePeerUrl, resolveOptions } from './options.ts';
import type { MeshNodeOptions, ResolvedOptions } from './options.ts';
import { PeerTable } from './peer-table.ts';
import { WebUi } from '../web/web-ui.ts';
import type { DialTarget, PeerInfo } from './peer-table.ts';

/**
 * A connection refused during the handshake (by either side): `code` is the 4xxx close code, or for an inbound
 * connection refused before it became a WebSocket, the HTTP status (400, 403, 404, 408, 426, 431, 503).
 */
export interface RejectionInfo {
  url: string | null;
  direction: 'inbound' | 'outbound';
  peerId: string | null;
  code: number;
  reason: string;
  by: 'local' | 'remote';
  /** The peer's IP, for inbound connections. */
  remoteAddress?: string;
}

export interface MeshNodeEvents {
  /** The peer table learnt a new peer id; source: 'static', 'inbound', 'discovery' (or the discovery's name), 'mesh'. */
  'peer:discovered': [peer: PeerInfo, source: string];
  'peer:connected': [peer: PeerInfo];
  'peer:disconnected': [peer: PeerInfo, reason: DisconnectReason];
  'peer:rtt': [peer: PeerInfo, rtt: number];
  /** Discovery said the peer left, or it is no longer reachable through the mesh. */
  'peer:lost': [peer: PeerInfo];
  'peer:rejected': [info: RejectionInfo];
  message: [data: string | Buffer, info: MessageInfo];
  /** Something the node works around (e.g. discovery unavailable); never fatal. */
  warning: [message: string];
}

/** How long `stop()` waits for peers to answer the 1001 close frames before dropping them. */
const STOP_GRACE_MS = 1000;

/** A symmetric wsmesh node: listens and dials, keeps the peer table, pings, routes messages. */
export class MeshNode extends EventEmitter<MeshNodeEvents> {
  readonly options: ResolvedOptions;
  readonly id: string;
  readonly name: string;
  readonly mesh: string;
  readonly table: PeerTable;
  /** Random per start: tells peers a restart from a duplicate connection. */
  readonly boot = randomBytes(8).toString('hex');
  #router: MeshRouter | undefined;
  #http: HttpServer | undefined;
  #wss: WebSocketServer | undefined;
  #discovery: Discovery | undefined;
  #urls: string[] = [];
  #identity: LocalIdentity | undefined;
  readonly #links = new Set<PeerLink>();
  /** Inbound connections from web pages (their upgrade carried Origin): they must join as browsers. */
  readonly #pageLinks = new WeakSet<PeerLink>();
  readonly #webUi: WebUi;
  readonly #guard: InboundGuard;
  /** The TCP socket under each inbound WebSocket, counted by the guard until the link is established. */
  readonly #inboundSockets = new WeakMap<WebSocket, Duplex>();
  #dialTimer: NodeJS.Timeout | undefined;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #stopping: Promise<void> | undefined;

  constructor(options: MeshNodeOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.id = this.options.id;
    this.name = this.options.name;
    this.mesh = this.options.mesh;
    this.table = new PeerTable(this.options.reconnect, Math.random, this.options.maxKnownPeers);
    const { allowOrigins, verifyOrigin, webUi, secret } = this.options;
    this.#webUi = new WebUi({ allowOrigins, verifyOrigin, page: webUi, auth: secret !== undefined });
    this.#guard = new InboundGuard(this.options.maxPendingPerAddress, this.options.maxPending, this.options.handshakeTimeout, (refusal) => this.#refusedHttp(refusal));
  }

  /** The ws:// URLs this node listens on (after `start()`). */
  get urls(): string[] {
    return [...this.#urls];
  }

  get port(): number {
    return (this.#http?.address() as AddressInfo | null)?.port ?? 0;
  }

  peers(): PeerInfo[] {
    return this.table.snapshot();
  }

  /** WebSocket connections open now, established or still in their handshake. */
  get connectionCount(): number {
    return this.#links.size;
  }

  /** Adds a static peer address (ws://host:port/) and dials it. */
  addPeer(url: string): void {
    if (this.#state !== 'running') throw new Error('addPeer() needs a running node');
    this.table.addPendingAddress(normalizePeerUrl(url), 'static', Date.now());
    this.#scheduleDials();
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`start() called on a node that is ${this.#state}`);
    this.#state = 'starting';
    const http = createServer(httpServerOptions(this.options.handshakeTimeout), (request, response) => this.#serveHttp(request, response));
    this.#http = http;
    this.#guard.watch(http);
    const wss = new WebSocketServer({
      noServer: true,
      protocols: [MESH_SUBPROTOCOL],
      maxPayload: this.options.maxPayload,
      verifyOrigin: this.#webUi.verifyOrigin,
      perMessageDeflate: (request) => compressionFor(this.options.compression, request.headers.has('origin')),
    });
    this.#wss = wss;
    http.on('upgrade', (request, socket, head) => {
      if (this.#guard.isRefused(socket)) return;
      wss.handleUpgrade(request, socket, head, (ws, upgrade) => this.#accept(ws, upgrade, socket));
    });
    wss.on('rejected', (error, remoteAddress) => this.#refusedHttp({ status: error.status ?? 400, reason: error.message, remoteAddress }));
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(this.options.port, this.options.host, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.#state = 'stopped';
      await this.#wss.close();
      throw error;
    }
    this.#urls = listenUrls(this.options.host, this.port);
    this.#identity = {
      id: this.id, name: this.name, mesh: this.mesh, kind: 'node', listen: this.#urls, boot: this.boot, secret: this.options.secret,
    };
    this.#router = new MeshRouter(this, this.options, {
      discovered: (peer, source) => this.emit('peer:discovered', peer, source),
      lost: (peer) => this.emit('peer:lost', peer),
      connected: (peer) => this.emit('peer:connected', peer),
      disconnected: (peer, reason) => this.emit('peer:disconnected', peer, reason),
      deliver: (data, info) => this.emit('message', data, info),
      dialsDue: () => this.#scheduleDials(),
    });
    const now = Date.now();
    for (const url of this.options.peers) this.table.addPendingAddress(url, 'static', now);
    this.#state = 'running';
    await this.#startDiscovery();
    this.#scheduleDials();
  }

  /** Closes every connection with 1001, stops discovery (after its goodbye) and releases the port. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutDown();
    return this.#stopping;
  }

  async #shutDown(): Promise<void> {
    if (this.#state === 'new' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    clearTimeout(this.#dialTimer);
    this.#router?.stop();
    await this.#discovery?.stop().catch((error: Error) => this.emit('warning', `discovery stop: ${error.message}`));
    const closing = [...this.#links].map((link) => new Promise<void>((resolve) => link.socket.once('close', () => resolve())));
    for (const link of this.#links) link.close(CloseCode.GoingAway, 'node stopping');
    const grace = setTimeout(() => {
      for (const link of this.#links) link.destroy({ type: 'close', code: CloseCode.GoingAway, reason: 'node stopping', by: 'local' });
    }, STOP_GRACE_MS);
    await Promise.all(closing);
    clearTimeout(grace);
    await this.#wss?.close();
    await new Promise<void>((resolve) => {
      this.#http!.close(() => resolve());
      this.#http!.closeAllConnections();
    });
    this.#state = 'stopped';
  }

  /** Sends a direct message; resolves when the destination acknowledged it. */
  send(peerId: string, data: string | Uint8Array): Promise<void> {
    if (this.#router === undefined || this.#state !== 'running') return Promise.reject(new Error('the node is not running'));
    return this.#router.messenger.send(peerId, data);
  }

  /** Floods a message to every peer of the mesh; returns its message id. */
  broadcast(data: string | Uint8Array): string {
    if (this.#router === undefined || this.#state !== 'running') throw new Error('the node is not running');
    return this.#router.messenger.broadcast(data);
  }

  /** Finds a peer by exact id, unique id prefix, or name (case-insensitive). */
  findPeer(nameOrId: string): PeerInfo | undefined {
    const peers = this.table.snapshot();
    const lower = nameOrId.toLowerCase();
    const exact = peers.find((peer) => peer.id === nameOrId) ?? peers.find((peer) => peer.name.toLowerCase() === lower);
    if (exact !== undefined) return exact;
    const byPrefix = peers.filter((peer) => peer.id.startsWith(nameOrId));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  /** The live (established) link to a neighbour. */
  liveLink(peerId: string): PeerLink | undefined {
    return this.#router?.live.get(peerId);
  }

  #serveHttp(request: IncomingMessage, response: ServerResponse): void {
    if (this.#guard.isRefused(request.socket)) return;
    if (this.options.httpHandler?.(request, response)) return;
    if (this.#webUi.serve(request, response)) return;
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/status') {
      const body = JSON.stringify({ id: this.id, name: this.name, mesh: this.mesh, version: MESH_PROTOCOL_VERSION, urls: this.#urls, peers: this.peers() });
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`no page at ${path}; WebSocket peers connect to / with subprotocol ${MESH_SUBPROTOCOL}\n`);
  }

  #accept(ws: WebSocket, request: UpgradeRequest, socket: Duplex): void {
    this.#inboundSockets.set(ws, socket);
    if (this.#state !== 'running') return ws.close(CloseCode.GoingAway, 'node stopping');
    if (ws.protocol !== MESH_SUBPROTOCOL) return ws.close(MeshCloseCode.BadMessage, `subprotocol ${MESH_SUBPROTOCOL} required`);
    const link = new PeerLink(ws, 'inbound', null, request.remoteAddress, this.#identity!, this.options, this.#linkHandler);
    if (request.headers.has('origin')) this.#pageLinks.add(link);
    this.#links.add(link);
  }

  #dial(target: DialTarget): void {
    this.table.dialStarted(target);
    const { maxPayload, handshakeTimeout, compression } = this.options;
    connect(target.url, { protocols: [MESH_SUBPROTOCOL], maxPayload, handshakeTimeout, perMessageDeflate: compressionFor(compression, false) }).then(
      (ws) => {
        if (this.#state !== 'running') return ws.close(CloseCode.GoingAway, 'node stopping');
        this.#links.add(new PeerLink(ws, 'outbound', target, undefined, this.#identity!, this.options, this.#linkHandler));
      },
      () => {
        if (this.#state !== 'running') return;
        this.table.dialFailed(target, Date.now());
        this.#scheduleDials();
      },
    );
  }

  #scheduleDials(): void {
    clearTimeout(this.#dialTimer);
    if (this.#state !== 'running' || this.#router === undefined) return;
    // Only as many dials as there are free slots up to the dial target (see MeshRouter.dialTarget); the rest
    // wait for a link to close or a dial to fail.
    const free = this.#router.dialTarget() - this.#router.live.size - this.table.dialsInFlight;
    if (free <= 0) return;
    const now = Date.now();
    const due = this.table.dueDials(now);
    for (const target of due.length > free ? shuffled(due).slice(0, free) : due) this.#dial(target);
    if (due.length > free) return;
    const next = this.table.nextDialAt();
    if (next !== null) this.#dialTimer = setTimeout(() => this.#scheduleDials(), Math.max(0, next - Date.now()));
  }

  readonly #linkHandler: LinkHandler = {
    admit: (link, arbiter) => this.#router!.admit(link, arbiter),
    established: (link) => {
      if (this.#pageLinks.has(link) && link.remote!.kind !== 'browser') {
        return link.close(MeshCloseCode.BadMessage, 'a web page (a request with Origin) must join as kind "browser"');
      }
      const socket = this.#inboundSockets.get(link.socket);
      if (socket !== undefined) this.#guard.release(socket);
      this.#router!.established(link);
      this.#scheduleDials();
    },
    frame: (link: PeerLink, frame: DecodedFrame, bytes: number) => this.#router!.frame(link, frame, bytes),
    rtt: (link, rtt) => {
      const peer = this.table.recordRtt(link.remote!.id, rtt, Date.now());
      if (peer !== undefined) this.emit('peer:rtt', structuredClone(peer), rtt);
    },
    internalError: (link, error) => {
      this.emit('warning', `internal error while handling a message from ${link.remote?.id ?? link.remoteAddress ?? 'a peer'} (closed with 1011): ${error.stack ?? error.message}`);
    },
    closed: (link, reason) => {
      this.#links.delete(link);
      if (!this.#router!.closed(link, reason) && !link.wasEstablished) this.#handshakeEnded(link, reason);
      this.#scheduleDials();
    },
  };

  /** An inbound connection refused at the HTTP level (before it became a WebSocket). */
  #refusedHttp({ status, reason, remoteAddress }: InboundRefusal): void {
    this.emit('peer:rejected', { url: null, direction: 'inbound', peerId: null, code: status, reason, by: 'local', remoteAddress });
  }

  /** A connection that closed before it was established: settle the dial and report refusals. */
  #handshakeEnded(link: PeerLink, reason: DisconnectReason): void {
    const code = reason.type === 'close' ? reason.code : null;
    const remoteId = link.remote?.id ?? null;
    if (reason.type === 'close' && isRejection(reason.code, reason.by)) {
      const remoteAddress = link.direction === 'inbound' ? { remoteAddress: link.remoteAddress } : {};
      this.emit('peer:rejected', { url: link.target?.url ?? null, direction: link.direction, peerId: remoteId, code: reason.code, reason: reason.reason, by: reason.by, ...remoteAddress });
    }
    const target = link.target;
    if (target === null || this.#state !== 'running') return;
    if (code === MeshCloseCode.SelfConnection) return this.table.markSelf(target.url);
    if (remoteId !== null && this.#router!.live.has(remoteId)) {
      this.table.dialSuperseded(target);
      this.table.attachAddress(remoteId, target.url, target.source, Date.now());
      return;
    }
    this.table.dialFailed(target, Date.now(), code !== null && isRefusal(code));
  }

  #startDiscovery(): Promise<void> {
    const discovery = this.options.discovery ?? (this.options.mdns ? createDefaultDiscovery({ interface: this.options.interface }) : undefined);
    if (discovery === undefined) return Promise.resolve();
    this.#discovery = discovery;
    discovery.on('found', (peer) => this.#onDiscovered(peer));
    discovery.on('lost', (id) => {
      const peer = this.table.forgetDiscovered(id);
      if (peer !== undefined && peer.state === 'lost') this.emit('peer:lost', structuredClone(peer));
    });
    discovery.on('unavailable', (reason) => this.emit('warning', `discovery unavailable: ${reason}`));
    return discovery
      .start({ id: this.id, name: this.name, mesh: this.mesh, version: MESH_PROTOCOL_VERSION, port: this.port, path: '/' })
      .catch((error: Error) => void this.emit('warning', `discovery unavailable: ${error.message}`));
  }

  #onDiscovered(found: DiscoveredPeer): void {
    if (this.#state !== 'running' || found.id === this.id) return;
    if (!isSameMesh(found.mesh, this.mesh) || found.version !== MESH_PROTOCOL_VERSION) return;
    const now = Date.now();
    const { peer, isNew } = this.table.learn(found.id, found.name, 'node', now);
    for (const address of found.addresses) this.table.attachAddress(found.id, wsUrl(address, found.port, found.path), 'discovery', now);
    if (isNew) this.emit('peer:discovered', structuredClone(peer), found.source);
    this.#scheduleDials();
  }
}

/** Codes we fail a connection with when the peer breaks RFC 6455, sends too much, does not read, or trips a bug. */
const VIOLATIONS = new Set<number>([
  CloseCode.ProtocolError, CloseCode.UnsupportedData, CloseCode.InvalidPayload, CloseCode.PolicyViolation, CloseCode.MessageTooBig, CloseCode.InternalError,
]);

/** Whether a connection that closed before it was established was refused (4xxx, or a violation we failed it for). */
function isRejection(code: number, by: 'local' | 'remote'): boolean {
  if (code >= 4000 && code <= 4999) return code !== MeshCloseCode.Duplicate;
  return by === 'local' && VIOLATIONS.has(code);
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

export function createNode(options: MeshNodeOptions = {}): MeshNode {
  return new MeshNode(options);
}
