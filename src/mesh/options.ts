import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/constants.ts';
import { parseWsUrl } from '../handshake/client-handshake.ts';
import type { WsUrl } from '../handshake/client-handshake.ts';
import type { Discovery } from '../discovery/discovery.ts';
import type { WebSocketServerOptions } from '../transport/server.ts';
import { DEFAULT_RECONNECT } from './backoff.ts';
import type { ReconnectOptions } from './backoff.ts';
import { COMPRESSION_MODES } from './compression.ts';
import type { Compression } from './compression.ts';
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_ADDRESS } from '../transport/inbound-guard.ts';
import { WsmeshOptionError } from '../errors.ts';
import { checkOptions } from '../options-check.ts';
import type { OptionKind } from '../options-check.ts';
import { checkSecret } from '../wire/identity.js';
import { defaultKeyFile } from './identity-file.ts';
import { DEFAULT_MAX_KNOWN_PEERS } from './peer-table.ts';

export type OriginCheck = NonNullable<WebSocketServerOptions['verifyOrigin']>;

/** Answers a plain HTTP request; return false to leave it to the node (`/status`, else 404). */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface MeshNodeOptions {
  /**
   * The identity key file (Ed25519, PKCS#8 PEM, mode 0600; created on first start). The node's id derives from its key.
   * Default: `$XDG_CONFIG_HOME/wsmesh/identity.key` (or `~/.config/wsmesh/identity.key`).
   */
  keyFile?: string;
  /** A fresh in-memory identity every start, nothing written (tests; several nodes in one process). Default false. */
  ephemeralIdentity?: boolean;
  /** Human name. Default: the host name. */
  name?: string;
  /** Mesh name; nodes of different meshes never link. Default 'wsmesh'. */
  mesh?: string;
  /**
   * The mesh secret (at least 12 characters): only nodes with the same secret can link (it keys the Noise PSK
   * through scrypt). Default: none, an open mesh (links still encrypted and identities proven, but anyone may join).
   */
  secret?: string;
  /** Static ws:// URLs to dial. Default []. */
  peers?: string[];
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Address to listen on. Default '::': IPv4 and IPv6 (0.0.0.0 on a host without IPv6). */
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
  /**
   * Dial nodes learnt only through other nodes' links records (at the address those nodes reach them at) when a
   * slot is free, so that relayed peers become direct ones. Default true; false keeps the topology to static
   * peers, discovery and inbound links.
   */
  dialLearnt?: boolean;
  /**
   * permessage-deflate: 'off', 'browsers' (only for web pages) or 'all' (also between nodes). Default 'off': every
   * mesh message travels encrypted (wsmesh.v2), and ciphertext does not compress.
   */
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
  /** Network interface for the default mDNS discovery (e.g. 'eth0'), IPv4 and IPv6. Default: every non-internal one, followed as they come and go. */
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
  /**
   * DNS names the node may be called by in HTTP requests (`Host`), besides IP addresses, `localhost` and the
   * machine's name; other names get 421 on every HTTP route (DNS rebinding). Default [].
   */
  allowHosts?: string[];
  /** Serve the web UI at `/` (and `/access`, which tells a refused page why). Default true. */
  webUi?: boolean;
}

export interface ResolvedOptions {
  /** The key file, or null for an ephemeral identity. */
  keyFile: string | null;
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
  dialLearnt: boolean;
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
  allowHosts: string[];
  webUi: boolean;
}

/** Every option of `createNode()` with the kinds of value it takes: plain-JS callers get named errors. */
const MESH_OPTIONS = {
  keyFile: ['string'], ephemeralIdentity: ['boolean'], name: ['string'], mesh: ['string'], secret: ['string'], peers: ['string[]'], port: ['number'], host: ['string'],
  pingInterval: ['number'], pingTimeout: ['number'], handshakeTimeout: ['number'], maxPeers: ['number'], maxPeersPerAddress: ['number'], maxPendingPerAddress: ['number'], maxPending: ['number'],
  compression: ['string'], maxPayload: ['number'], reconnect: ['object'], ttl: ['number'], sendTimeout: ['number'], outboxLimit: ['number'],
  discovery: ['object'], mdns: ['boolean'], interface: ['string'], httpHandler: ['function'], verifyOrigin: ['function'],
  allowOrigins: ['string[]'], allowHosts: ['string[]'], webUi: ['boolean'], forgetAfter: ['number'], maxKnownPeers: ['number'], dialLearnt: ['boolean'],
} as const satisfies Record<keyof MeshNodeOptions, readonly OptionKind[]>;

const RECONNECT_OPTIONS = { min: ['number'], max: ['number'], jitter: ['number'] } as const satisfies Record<keyof ReconnectOptions, readonly OptionKind[]>;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new WsmeshOptionError(`option ${name} must be a number >= ${min}, got ${value}`);
  return value;
}

function label(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) {
    throw new WsmeshOptionError(`option ${name} must be a non-empty string of at most 128 characters`);
  }
  return value;
}

function compression(value: Compression | undefined): Compression {
  if (value === undefined) return 'off';
  if (!COMPRESSION_MODES.includes(value)) throw new WsmeshOptionError(`option compression must be one of ${COMPRESSION_MODES.join(', ')}, got ${String(value)}`);
  return value;
}

/**
 * Normalises a static peer address to `ws://host:port/path`; throws a WsmeshOptionError naming the problem.
 * Parsed by `parseWsUrl()`, the dialler's own parser, so an IPv6 link-local address with its zone
 * (`ws://[fe80::1%25eth0]:7447/`, RFC 6874) is accepted; the zone must name an interface of this machine.
 */
export function normalizePeerUrl(url: string): string {
  const quoted = JSON.stringify(url);
  if (typeof url !== 'string') throw new WsmeshOptionError(`peer address ${quoted} must be a string (expected ws://host:port/)`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^ws:/i.test(url)) throw new WsmeshOptionError(`peer address ${quoted} must start with ws://`);
  if (url.includes('#')) throw new WsmeshOptionError(`peer address ${quoted} must not have a #fragment (RFC 6455 section 3)`);
  let parsed: WsUrl;
  try {
    parsed = parseWsUrl(url);
  } catch {
    if (/\[[^\]]*%(?!25)/.test(url)) {
      throw new WsmeshOptionError(`peer address ${quoted}: write the zone of an IPv6 address as %25 (RFC 6874), e.g. ws://[fe80::1%25eth0]:7447/`);
    }
    throw new WsmeshOptionError(`peer address ${quoted} is not a URL (expected ws://host:port/)`);
  }
  const zone = parsed.host.includes('%') ? parsed.host.slice(parsed.host.indexOf('%') + 1) : undefined;
  if (zone !== undefined && !interfaceExists(zone)) {
    const names = Object.keys(networkInterfaces()).join(', ') || 'none';
    throw new WsmeshOptionError(`peer address ${quoted} names interface ${JSON.stringify(zone)}, which this machine does not have (interfaces: ${names})`);
  }
  return parsed.href;
}

/** A zone is an interface name, or its numeric index as the kernel's scope id. */
function interfaceExists(zone: string): boolean {
  const table = networkInterfaces();
  if (Object.hasOwn(table, zone)) return true;
  return /^\d+$/.test(zone) && Object.values(table).some((addresses) => addresses?.some((address) => address.scopeid === Number(zone)));
}

export function resolveOptions(options: MeshNodeOptions): ResolvedOptions {
  if (typeof options === 'object' && options !== null && (options as { id?: unknown }).id !== undefined) {
    throw new WsmeshOptionError('option id was removed: the id derives from the identity key (options keyFile, ephemeralIdentity)');
  }
  checkOptions('createNode()', options, MESH_OPTIONS);
  checkOptions('createNode() option reconnect', options.reconnect, RECONNECT_OPTIONS);
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  positive('reconnect.min', reconnect.min, 0, 0);
  positive('reconnect.max', reconnect.max, 0, reconnect.min);
  if (!(reconnect.jitter >= 0 && reconnect.jitter <= 1)) throw new WsmeshOptionError('option reconnect.jitter must be within 0..1');
  if (options.secret !== undefined) {
    try {
      checkSecret(options.secret);
    } catch (error) {
      throw new WsmeshOptionError(`option secret: ${(error as Error).message}`);
    }
  }
  const port = options.port ?? 0;
  const maxPeers = positive('maxPeers', options.maxPeers, 64);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WsmeshOptionError(`option port must be an integer 0..65535, got ${port}`);
  return {
    keyFile: options.ephemeralIdentity === true ? null : (options.keyFile ?? defaultKeyFile()),
    name: label('name', options.name, hostname() || 'wsmesh'),
    mesh: label('mesh', options.mesh, 'wsmesh'),
    secret: options.secret,
    peers: (options.peers ?? []).map(normalizePeerUrl),
    port,
    host: options.host ?? '::',
    pingInterval: positive('pingInterval', options.pingInterval, 5000),
    pingTimeout: positive('pingTimeout', options.pingTimeout, 5000),
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout, 10_000),
    maxPeers,
    maxPeersPerAddress: positive('maxPeersPerAddress', options.maxPeersPerAddress, Math.ceil(maxPeers / 2)),
    maxPendingPerAddress: positive('maxPendingPerAddress', options.maxPendingPerAddress, DEFAULT_MAX_PENDING_PER_ADDRESS),
    maxPending: positive('maxPending', options.maxPending, DEFAULT_MAX_PENDING),
    maxKnownPeers: positive('maxKnownPeers', options.maxKnownPeers, DEFAULT_MAX_KNOWN_PEERS),
    forgetAfter: positive('forgetAfter', options.forgetAfter, 300_000),
    dialLearnt: options.dialLearnt !== false,
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
    allowOrigins: options.allowOrigins ?? [],
    allowHosts: options.allowHosts ?? [],
    webUi: options.webUi !== false,
  };
}
