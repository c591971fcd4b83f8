import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { NodeHost, NodeHostFactory } from './node-host.ts';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { isSameMesh } from '../discovery/discovery.ts';
import { MeshReadyError, MeshStateError } from '../errors.ts';
import type { DiscoveredPeer, Discovery } from '../discovery/discovery.ts';
import { CloseCode } from '../protocol/constants.ts';
import { WebSocketServer, destroyOnError } from '../transport/server.ts';
import type { UpgradeRequest } from '../transport/server.ts';
import type { WebSocket } from '../transport/websocket.ts';
import { MeshCloseCode } from './close-codes.ts';
import { compressionFor } from './compression.ts';
import { InboundGuard, httpServerOptions } from '../transport/inbound-guard.ts';
import type { InboundRefusal } from '../transport/inbound-guard.ts';
import type { DialFailure, StaticPeerInfo } from './dial-log.ts';
import { Dialer } from './dialer.ts';
import { MAX_LISTEN_URLS, MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL, signEnvelope } from './envelope.ts';
import type { DecodedFrame } from './envelope.ts';
import { PeerLink } from './link.ts';
import type { DisconnectReason, LinkHandler, LocalIdentity } from './link.ts';
import { loadOrCreateIdentity } from './identity-file.ts';
import { nodeCrypto } from './node-crypto.ts';
import { toHex } from '../wire/bytes.js';
import { createIdentity, derivePsk } from '../wire/identity.js';
import type { Identity } from '../wire/identity.js';
import { listenUrls, pageUrlsOf, wsUrl } from './listen-urls.ts';
import { MeshRouter } from './router.ts';
import type { MessageInfo } from './messenger.ts';
import { normalizePeerUrl, resolveOptions } from './options.ts';
import type { MeshNodeOptions, ResolvedOptions } from './options.ts';
import { PeerTable, copyPeer } from './peer-table.ts';
import { LANE_HANDSHAKE, turnBudget } from '../transport/turn-budget.ts';
import type { PeerInfo } from './peer-table.ts';

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
  /** A dial of a peer address failed (dead port, not a WebSocket server, wrong mesh, wrong secret, ...); it is retried with backoff. */
  'peer:dial-failed': [failure: DialFailure];
  message: [data: string | Buffer, info: MessageInfo];
  /** Something the node works around (e.g. discovery unavailable); never fatal. */
  warning: [message: string];
}

/** `node.status()`, served as `GET /status`. */
export interface NodeStatus {
  id: string;
  name: string;
  mesh: string;
  version: number;
  urls: string[];
  peers: PeerInfo[];
  staticPeers: StaticPeerInfo[];
}

/**
 * PSKs derived in this process, per mesh and secret: scrypt costs 32 MiB and about 0.1 s, once per process (nodes
 * embedded in one process, or restarted, share it). The secret is held by the node's options anyway.
 */
const psks = new Map<string, Promise<Uint8Array>>();

function meshPsk(mesh: string, secret: string | undefined): Promise<Uint8Array> {
  const key = JSON.stringify([mesh, secret ?? null]);
  let psk = psks.get(key);
  if (psk === undefined) {
    psk = derivePsk(nodeCrypto, mesh, secret);
    psks.set(key, psk);
    psk.catch(() => psks.delete(key));
  }
  return psk;
}

/** Why a peer without wsmesh.v2 (e.g. a wsmesh.v1 node) is refused. */
const LEGACY_REFUSAL = `${MESH_SUBPROTOCOL} required: this node only speaks the secure mesh protocol (Noise-encrypted links); upgrade the peer`;

/** How long `stop()` waits for peers to answer the 1001 close frames before dropping them. */
const STOP_GRACE_MS = 1000;

let liveLinkOf: (node: MeshNode, peerId: string) => PeerLink | undefined;

/**
 * The live (established) link of `node` to a neighbour: tests and benchmarks look at its socket. Not a method,
 * so that no public object reaches it; `src/index.ts` does not export it.
 */
export function liveLink(node: MeshNode, peerId: string): PeerLink | undefined {
  return liveLinkOf(node, peerId);
}

let knownLinksOf: (node: MeshNode, origin: string) => string[] | undefined;

/** The ids `node`'s newest links record of `origin` lists (tests wait on it); like `liveLink`, not exported by `src/index.ts`. */
export function knownLinks(node: MeshNode, origin: string): string[] | undefined {
  return knownLinksOf(node, origin);
}

/** A symmetric wsmesh node: listens and dials, keeps the peer table, pings, routes messages. */
export class MeshNode extends EventEmitter<MeshNodeEvents> {
  static {
    liveLinkOf = (node, peerId) => node.#router?.live.get(peerId);
    knownLinksOf = (node, origin) => node.#router?.topology.record(origin)?.links.map((entry) => entry.id);
  }

  /** Resolved options: private, since they hold the secret. */
  readonly #options: ResolvedOptions;
  /** Derived from the identity key: the first 128 bits of SHA-256(public key), hex. */
  readonly id: string;
  /** The Ed25519 identity public key, hex. */
  readonly publicKey: string;
  readonly #key: Identity;
  readonly name: string;
  readonly mesh: string;
  readonly #table: PeerTable;
  /** Random per start: tells peers a restart from a duplicate connection. */
  readonly boot = randomBytes(8).toString('hex');
  #router: MeshRouter | undefined;
  #http: HttpServer | undefined;
  #wss: WebSocketServer | undefined;
  #discovery: Discovery | undefined;
  #urls: string[] = [];
  #listenHost = '';
  #identity: LocalIdentity | undefined;
  readonly #links = new Set<PeerLink>();
  /** Inbound connections from web pages (their upgrade carried Origin): they must join as browsers. */
  readonly #pageLinks = new WeakSet<PeerLink>();
  readonly #host: NodeHost;
  readonly #guard: InboundGuard;
  /** The TCP socket under each inbound WebSocket, counted by the guard until the link is established. */
  readonly #inboundSockets = new WeakMap<WebSocket, Duplex>();
  readonly #dialer: Dialer;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #stopping: Promise<void> | undefined;

  /** Use `createNode()` (src/node.ts), which gives the node its host: the page, `/status`, mDNS. */
  constructor(options: MeshNodeOptions, host: NodeHostFactory<MeshNode>) {
    super();
    this.#options = resolveOptions(options);
    this.#key = this.#options.keyFile === null ? createIdentity(nodeCrypto) : loadOrCreateIdentity(this.#options.keyFile);
    this.id = this.#key.id;
    this.publicKey = toHex(this.#key.publicKey);
    this.name = this.#options.name;
    this.mesh = this.#options.mesh;
    this.#table = new PeerTable(this.#options.reconnect, Math.random, this.#options.maxKnownPeers);
    this.#dialer = new Dialer(this.#table, this.#options, {
      running: () => this.#state === 'running',
      links: () => this.#router,
      opened: (ws, target) => {
        if (this.#state !== 'running') return ws.close(CloseCode.GoingAway, 'node stopping');
        if (ws.protocol !== MESH_SUBPROTOCOL) return ws.close(MeshCloseCode.IncompatibleVersion, LEGACY_REFUSAL);
        this.#links.add(new PeerLink(ws, 'outbound', target, undefined, this.#identity!, this.#options, this.#linkHandler));
      },
      failed: (failure) => this.emit('peer:dial-failed', failure),
    });
    this.#host = host(this, this.#options);
    this.#guard = new InboundGuard(this.#options.maxPendingPerAddress, this.#options.maxPending, this.#options.handshakeTimeout, (refusal) => this.#refusedHttp(refusal));
  }

  /** The ws:// URLs this node can be reached at now (after `start()`): every address of every interface. */
  get urls(): string[] {
    return this.#http?.listening ? listenUrls(this.#listenHost, this.port) : [...this.#urls];
  }

  get port(): number {
    return (this.#http?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Whether the mesh is open (no secret): anyone who reaches the node may join; links are still encrypted. */
  get openMesh(): boolean {
    return this.#options.secret === undefined;
  }

  /** The web UI's http:// URLs a browser can open (after `start()`; none when `webUi` is false; no zoned link-local). */
  get pageUrls(): string[] {
    return this.#options.webUi ? pageUrlsOf(this.#urls) : [];
  }

  /** A snapshot of every peer this node knows (a copy: changing it changes nothing). */
  peers(): PeerInfo[] {
    return this.#table.snapshot();
  }

  /** A snapshot of one peer by exact id. */
  peer(id: string): PeerInfo | undefined {
    const peer = this.#table.get(id);
    return peer === undefined ? undefined : copyPeer(peer);
  }

  /** WebSocket connections open now, established or still in their handshake. */
  get connectionCount(): number {
    return this.#links.size;
  }

  /** Adds a static peer address (ws://host:port/) and dials it. */
  addPeer(url: string): void {
    if (this.#state !== 'running') throw new MeshStateError(`addPeer() needs a running node; this one is ${this.#state}`);
    this.#dialer.addStatic(normalizePeerUrl(url), Date.now());
    this.#dialer.schedule();
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new MeshStateError(`start() called on a node that is ${this.#state}`);
    this.#state = 'starting';
    const [psk, staticKeys] = await Promise.all([meshPsk(this.mesh, this.#options.secret), nodeCrypto.x25519Generate()]);
    const http = createServer(httpServerOptions(this.#options.handshakeTimeout), (request, response) => this.#serveHttp(request, response));
    this.#http = http;
    this.#guard.watch(http);
    const wss = new WebSocketServer({
      noServer: true,
      protocols: [MESH_SUBPROTOCOL],
      maxPayload: this.#options.maxPayload,
      verifyOrigin: this.#host.verifyOrigin,
      perMessageDeflate: (request) => compressionFor(this.#options.compression, request.headers.has('origin')),
    });
    this.#wss = wss;
    http.on('upgrade', (request, socket, head) => {
      if (this.#guard.isRefused(socket)) return;
      const upgrade = () => wss.handleUpgrade(request, socket, head, (ws, upgrade) => this.#accept(ws, upgrade, socket));
      if (turnBudget.mayRun(LANE_HANDSHAKE)) return upgrade();
      // An upgrade is the start of a handshake: it waits for the process's turn budget like the handshake's
      // messages (a burst of inbound dials must not stall the process). Meanwhile the socket keeps what the peer
      // sends, and an error destroys it (Node's server no longer listens for one after 'upgrade').
      socket.pause();
      socket.on('error', destroyOnError);
      turnBudget.defer(LANE_HANDSHAKE, () => {
        socket.off('error', destroyOnError);
        if (!socket.destroyed) upgrade();
      });
    });
    wss.on('rejected', (error, remoteAddress) => this.#refusedHttp({ status: error.status ?? 400, reason: error.message, remoteAddress }));
    const listen = (host: string) => new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.#options.port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.#listenHost = this.#options.host;
    try {
      // '::' (the default) takes IPv4 and IPv6 connections; a host without IPv6 gets 0.0.0.0 instead.
      await listen(this.#listenHost).catch((error: NodeJS.ErrnoException) => {
        if (this.#listenHost !== '::' || (error.code !== 'EAFNOSUPPORT' && error.code !== 'EADDRNOTAVAIL')) throw error;
        this.#listenHost = '0.0.0.0';
        return listen(this.#listenHost);
      });
    } catch (error) {
      this.#state = 'stopped';
      await this.#wss.close();
      throw error;
    }
    this.#urls = listenUrls(this.#listenHost, this.port);
    // A zone (link-local URL) means nothing on the peer's host: hello leaves those out.
    const helloListen = this.#urls.filter((url) => !url.includes('%25')).slice(0, MAX_LISTEN_URLS);
    this.#identity = { identity: this.#key, staticKeys, psk, name: this.name, mesh: this.mesh, kind: 'node', listen: helloListen, boot: this.boot };
    this.#router = new MeshRouter({ id: this.id, name: this.name, boot: this.boot, table: this.#table }, this.#options, {
      discovered: (peer, source) => this.emit('peer:discovered', peer, source),
      lost: (peer) => this.emit('peer:lost', peer),
      connected: (peer) => this.emit('peer:connected', peer),
      disconnected: (peer, reason) => this.emit('peer:disconnected', peer, reason),
      deliver: (data, info) => this.emit('message', data, info),
      dialsDue: () => this.#dialer.schedule(),
    }, (message, payload) => signEnvelope(this.#key, message, payload));
    const now = Date.now();
    for (const url of this.#options.peers) this.#dialer.addStatic(url, now);
    this.#state = 'running';
    await this.#startDiscovery();
    this.#dialer.schedule();
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
    this.#dialer.stop();
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

  /**
   * Resolves once at least `peers` peers (default 1) are connected directly, with their snapshots; rejects with
   * a `MeshReadyError` after `timeout` ms (default 10000) naming what each static peer failed with, or when the
   * node stops. Wait for it before the first `broadcast()`: a node that has just started has no peer yet.
   */
  ready({ peers = 1, timeout = 10_000 }: { peers?: number; timeout?: number } = {}): Promise<PeerInfo[]> {
    if (this.#state !== 'running') return Promise.reject(new MeshStateError(`ready() needs a started node; this one is ${this.#state}`));
    const connected = () => this.#table.snapshot().filter((peer) => peer.state === 'connected');
    if (connected().length >= peers) return Promise.resolve(connected());
    return new Promise<PeerInfo[]>((resolve, reject) => {
      const check = () => {
        if (this.#state !== 'running') return settle(new MeshReadyError('stopped', 'ready(): the node stopped'));
        const now = connected();
        if (now.length >= peers) settle(now);
      };
      const timer = setTimeout(() => {
        const failures = this.staticPeers().filter((peer) => peer.lastError !== null).map((peer) => `${peer.url}: ${peer.lastError}`);
        const why = failures.length > 0 ? `; ${failures.join('; ')}` : this.staticPeers().length === 0 ? '; no static peers configured and none discovered' : '';
        settle(new MeshReadyError('ready-timeout', `ready(): ${connected().length} of ${peers} peers connected after ${timeout} ms${why}`));
      }, timeout);
      const settle = (outcome: PeerInfo[] | MeshReadyError) => {
        clearTimeout(timer);
        this.off('peer:connected', check);
        this.off('peer:disconnected', check);
        if (outcome instanceof MeshReadyError) reject(outcome);
        else resolve(outcome);
      };
      this.on('peer:connected', check);
      this.on('peer:disconnected', check);
    });
  }

  /** The configured static peers (`peers`, `addPeer()`) with their state and the last dial error. */
  staticPeers(): StaticPeerInfo[] {
    return this.#dialer.staticPeers();
  }

  /** Sends a direct message; resolves when the destination acknowledged it. */
  send(peerId: string, data: string | Uint8Array): Promise<void> {
    if (this.#router === undefined || this.#state !== 'running') return Promise.reject(new MeshStateError(`send() needs a running node; this one is ${this.#state}`));
    return this.#router.messenger.send(peerId, data);
  }

  /**
   * Floods a message to every peer of the mesh; returns its message id. Throws a `MeshSendError` with code
   * 'no-peers' when no peer is connected (nobody would get it): see `ready()`.
   */
  broadcast(data: string | Uint8Array): string {
    if (this.#router === undefined || this.#state !== 'running') throw new MeshStateError(`broadcast() needs a running node; this one is ${this.#state}`);
    return this.#router.messenger.broadcast(data);
  }

  /** Finds a peer by exact id, unique id prefix, or name (case-insensitive). */
  findPeer(nameOrId: string): PeerInfo | undefined {
    const peers = this.#table.snapshot();
    const lower = nameOrId.toLowerCase();
    const exact = peers.find((peer) => peer.id === nameOrId) ?? peers.find((peer) => peer.name.toLowerCase() === lower);
    if (exact !== undefined) return exact;
    const byPrefix = peers.filter((peer) => peer.id.startsWith(nameOrId));
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  /** What `GET /status` answers: identity, listen URLs, the peer table and the static peers. */
  status(): NodeStatus {
    return { id: this.id, name: this.name, mesh: this.mesh, version: MESH_PROTOCOL_VERSION, urls: this.urls, peers: this.peers(), staticPeers: this.staticPeers() };
  }

  #serveHttp(request: IncomingMessage, response: ServerResponse): void {
    if (this.#guard.isRefused(request.socket)) return;
    this.#host.serveHttp(request, response);
  }

  #accept(ws: WebSocket, request: UpgradeRequest, socket: Duplex): void {
    this.#inboundSockets.set(ws, socket);
    if (this.#state !== 'running') return ws.close(CloseCode.GoingAway, 'node stopping');
    if (ws.protocol !== MESH_SUBPROTOCOL) return ws.close(MeshCloseCode.IncompatibleVersion, LEGACY_REFUSAL);
    const link = new PeerLink(ws, 'inbound', null, request.remoteAddress, this.#identity!, this.#options, this.#linkHandler);
    if (request.headers.has('origin')) this.#pageLinks.add(link);
    this.#links.add(link);
  }

  readonly #linkHandler: LinkHandler = {
    admit: (link, arbiter) => this.#router!.admit(link, arbiter),
    established: (link) => {
      if (this.#pageLinks.has(link) && link.remote!.kind !== 'browser') {
        return link.close(MeshCloseCode.BadMessage, 'a web page (a request with Origin) must join as kind "browser"');
      }
      const socket = this.#inboundSockets.get(link.socket);
      if (socket !== undefined) this.#guard.release(socket);
      if (link.target !== null) this.#dialer.succeeded(link.target);
      this.#router!.established(link);
      this.#dialer.schedule();
    },
    frame: (link: PeerLink, frame: DecodedFrame, bytes: number) => this.#router!.frame(link, frame, bytes),
    rtt: (link, rtt) => {
      const peer = this.#table.recordRtt(link.remote!.id, rtt, Date.now());
      if (peer !== undefined) this.emit('peer:rtt', copyPeer(peer), rtt);
    },
    internalError: (link, error) => {
      this.emit('warning', `internal error while handling a message from ${link.remote?.id ?? link.remoteAddress ?? 'a peer'} (closed with 1011): ${error.stack ?? error.message}`);
    },
    closed: (link, reason) => {
      this.#links.delete(link);
      if (!this.#router!.closed(link, reason) && !link.wasEstablished) this.#handshakeEnded(link, reason);
      this.#dialer.schedule();
    },
  };

  /** An inbound connection refused at the HTTP level (before it became a WebSocket). */
  #refusedHttp({ status, reason, remoteAddress }: InboundRefusal): void {
    this.emit('peer:rejected', { url: null, direction: 'inbound', peerId: null, code: status, reason, by: 'local', remoteAddress });
  }

  /** A connection that closed before it was established: settle the dial and report refusals. */
  #handshakeEnded(link: PeerLink, reason: DisconnectReason): void {
    const remoteId = link.remoteId;
    if (reason.type === 'close' && isRejection(reason.code, reason.by)) {
      const remoteAddress = link.direction === 'inbound' ? { remoteAddress: link.remoteAddress } : {};
      this.emit('peer:rejected', { url: link.target?.url ?? null, direction: link.direction, peerId: remoteId, code: reason.code, reason: reason.reason, by: reason.by, ...remoteAddress });
    }
    if (link.target === null || this.#state !== 'running') return;
    this.#dialer.handshakeEnded(link.target, remoteId, reason, remoteId !== null && this.#router!.live.has(remoteId));
  }

  #startDiscovery(): Promise<void> {
    const discovery = this.#options.discovery ?? (this.#options.mdns ? this.#host.defaultDiscovery() : undefined);
    if (discovery === undefined) return Promise.resolve();
    this.#discovery = discovery;
    discovery.on('found', (peer) => this.#onDiscovered(peer));
    discovery.on('lost', (id) => {
      const peer = this.#table.forgetDiscovered(id);
      if (peer !== undefined && peer.state === 'lost') this.emit('peer:lost', copyPeer(peer));
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
    const { peer, isNew } = this.#table.learn(found.id, found.name, 'node', now);
    // Every address of every family, in discovery's order (IPv4 first); addresses it no longer lists go.
    this.#table.setDiscoveredAddresses(found.id, found.addresses.map((address) => wsUrl(address, found.port, found.path)), now);
    if (isNew) this.emit('peer:discovered', copyPeer(peer), found.source);
    this.#dialer.schedule();
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
