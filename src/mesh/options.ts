import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/constants.ts';
import type { Discovery } from '../discovery/discovery.ts';
import type { WebSocketServerOptions } from '../transport/server.ts';
import { DEFAULT_RECONNECT } from './backoff.ts';
import type { ReconnectOptions } from './backoff.ts';
import { parseAllowedOrigin } from '../web/origin-policy.ts';
import { COMPRESSION_MODES } from './compression.ts';
import type { Compression } from './compression.ts';
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_ADDRESS } from './inbound-guard.ts';
import { DEFAULT_MAX_KNOWN_PEERS } from './peer-table.ts';

export type OriginCheck = NonNullable<WebSocketServerOptions['verifyOrigin']>;

/** Answers a plain HTTP request; return false to leave it to the node (`/status`, else 404). */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface MeshNodeOptions {
  /** Peer id. Default: random 128-bit, hex. */
  id?: string;
  /** Human name. Default: the host name. */
  name?: string;
  /** Mesh name; nodes of different meshes never link. Default 'wsmesh'. */
  mesh?: string;
  /** Shared secret for challenge-response auth. Default: none (no auth). */
  secret?: string;
  /** Static ws:// URLs to dial. Default []. */
  peers?: string[];
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Address to listen on. Default '0.0.0.0'. */
  host?: string;
  /** ms between pings to each peer. Default 5000. */
  pingInterval?: number;
  /** ms to wait for a pong before the peer is declared dead. Default 5000. */
  pingTimeout?: number;
  /** ms for a new connection to finish hello/auth/welcome. Default 10000. */
  handshakeTimeout?: number;
  /** Most direct connections (nodes and browsers). Default 64. */
  maxPeers?: number;
  /**
   * Most established peers connected from one IP address (inbound links, nodes and browsers): one address
   * cannot take every slot. Beyond, 4008 after the hello. Default half of `maxPeers`, rounded up (32); raise it
   * when many nodes share one address (many nodes on one host). See docs/scale.md.
   */
  maxPeersPerAddress?: number;
  /**
   * Most connections from one IP address that are not established peers (HTTP requests, and WebSockets whose
   * hello/auth has not completed); more are answered 503 and closed. Default 64.
   */
  maxPendingPerAddress?: number;
  /** Most connections that are not established peers, over all addresses; more are answered 503. Default 256. */
  maxPending?: number;
  /**
   * Most entries of the peer table: peers learnt through other nodes' links records are not added beyond it.
   * Default 4096.
   */
  maxKnownPeers?: number;
  /**
   * ms after which a peer that is neither connected nor reachable through the mesh is forgotten (no more
   * redials; a static address is then retried every `reconnect.max`). Default 300000 (5 minutes).
   */
  forgetAfter?: number;
  /** permessage-deflate: 'off', 'browsers' (only for web pages) or 'all' (also between nodes). Default 'browsers'. */
  compression?: Compression;
  /** Largest WebSocket message, bytes (an application message plus its envelope). Default 16 MiB. */
  maxPayload?: number;
  /** Redial backoff: ms `min` doubling up to `max`, with `jitter` as a fraction. Default {250, 30000, 0.2}. */
  reconnect?: Partial<ReconnectOptions>;
  /** Hops a message may travel. Default 16. */
  ttl?: number;
  /** ms `send()` waits for the destination's ack. Default 30000. */
  sendTimeout?: number;
  /** Unacknowledged messages kept per destination (the outbox). Default 1000. */
  outboxLimit?: number;
  /** A discovery source (e.g. mDNS). Default: mDNS when available, unless `mdns` is false. */
  discovery?: Discovery;
  /** false turns the default mDNS discovery off. Default true. */
  mdns?: boolean;
  /** Network interface for the default mDNS discovery (e.g. 'eth0'). Default: every non-internal IPv4 one. */
  interface?: string;
  /** Plain HTTP requests other than upgrades go here first (the web UI hooks in). */
  httpHandler?: HttpHandler;
  /** Decides on WebSocket upgrades by their Origin header (undefined: none sent); false refuses with 403. Default: the origin policy below. */
  verifyOrigin?: OriginCheck;
  /**
   * Origins whose pages may join besides the node's own (pages it served itself): `http://host:port`,
   * `null` (file:// pages) or `*` (any). Others get 403; peers that send no Origin are unaffected. Default [].
   */
  allowOrigins?: string[];
  /** Serve the web UI at `/` (and `/access`, which tells a refused page why). Default true. */
  webUi?: boolean;
}

export interface ResolvedOptions {
  id: string;
  name: string;
  mesh: string;
  secret: string | undefined;
  peers: string[];
  port: number;
  host: string;
  pingInterval: number;
  pingTimeout: number;
  handshakeTimeout: number;
  maxPeers: number;
  maxPeersPerAddress: number;
  maxPendingPerAddress: number;
  maxPending: number;
  maxKnownPeers: number;
  forgetAfter: number;
  compression: Compression;
  maxPayload: number;
  reconnect: ReconnectOptions;
  ttl: number;
  sendTimeout: number;
  outboxLimit: number;
  discovery: Discovery | undefined;
  mdns: boolean;
  interface: string | undefined;
  httpHandler: HttpHandler | undefined;
  verifyOrigin: OriginCheck | undefined;
  allowOrigins: string[];
  webUi: boolean;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new RangeError(`option ${name} must be a number >= ${min}, got ${value}`);
  return value;
}

function label(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) {
    throw new TypeError(`option ${name} must be a non-empty string of at most 128 characters`);
  }
  return value;
}

function compression(value: Compression | undefined): Compression {
  if (value === undefined) return 'browsers';
  if (!COMPRESSION_MODES.includes(value)) throw new TypeError(`option compression must be one of ${COMPRESSION_MODES.join(', ')}, got ${String(value)}`);
  return value;
}

function allowedOrigin(origin: string): string {
  try {
    return parseAllowedOrigin(origin);
  } catch (error) {
    throw new TypeError(`option allowOrigins: ${(error as Error).message}`);
  }
}

/** Normalises a static peer address to `ws://host:port/path`; throws a TypeError naming the problem. */
export function normalizePeerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`peer address ${JSON.stringify(url)} is not a URL (expected ws://host:port/)`);
  }
  if (parsed.protocol !== 'ws:') throw new TypeError(`peer address ${JSON.stringify(url)} must start with ws://`);
  return parsed.href;
}

export function resolveOptions(options: MeshNodeOptions): ResolvedOptions {
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  positive('reconnect.min', reconnect.min, 0, 0);
  positive('reconnect.max', reconnect.max, 0, reconnect.min);
  if (!(reconnect.jitter >= 0 && reconnect.jitter <= 1)) throw new RangeError('option reconnect.jitter must be within 0..1');
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length === 0)) {
    throw new TypeError('option secret must be a non-empty string');
  }
  const port = options.port ?? 0;
  const maxPeers = positive('maxPeers', options.maxPeers, 64);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`option port must be 0..65535, got ${port}`);
  return {
    id: label('id', options.id, randomBytes(16).toString('hex')),
    name: label('name', options.name, hostname() || 'wsmesh'),
    mesh: label('mesh', options.mesh, 'wsmesh'),
    secret: options.secret,
    peers: (options.peers ?? []).map(normalizePeerUrl),
    port,
    host: options.host ?? '0.0.0.0',
    pingInterval: positive('pingInterval', options.pingInterval, 5000),
    pingTimeout: positive('pingTimeout', options.pingTimeout, 5000),
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout, 10_000),
    maxPeers,
    maxPeersPerAddress: positive('maxPeersPerAddress', options.maxPeersPerAddress, Math.ceil(maxPeers / 2)),
    maxPendingPerAddress: positive('maxPendingPerAddress', options.maxPendingPerAddress, DEFAULT_MAX_PENDING_PER_ADDRESS),
    maxPending: positive('maxPending', options.maxPending, DEFAULT_MAX_PENDING),
    maxKnownPeers: positive('maxKnownPeers', options.maxKnownPeers, DEFAULT_MAX_KNOWN_PEERS),
    forgetAfter: positive('forgetAfter', options.forgetAfter, 300_000),
    compression: compression(options.compression),
    maxPayload: positive('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD, 1024),
    reconnect,
    ttl: positive('ttl', options.ttl, 16),
    sendTimeout: positive('sendTimeout', options.sendTimeout, 30_000),
    outboxLimit: positive('outboxLimit', options.outboxLimit, 1000),
    discovery: options.discovery,
    mdns: options.mdns !== false,
    interface: options.interface,
    httpHandler: options.httpHandler,
    verifyOrigin: options.verifyOrigin,
    allowOrigins: (options.allowOrigins ?? []).map(allowedOrigin),
    webUi: options.webUi !== false,
  };
}
