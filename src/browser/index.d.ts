/**
 * wsmesh/browser: a web page joins a wsmesh mesh as a browser peer, through one node, with the
 * browser's native WebSocket (subprotocol `wsmesh.v1`). No dependencies; works over plain http too.
 */

export type PeerKind = 'node' | 'browser';
export type PeerState = 'known' | 'connecting' | 'connected' | 'backoff' | 'lost';

/**
 * A member of the mesh. The node the page is attached to comes first (state `connected`, direction
 * `outbound`, rtt between it and this page); every other entry is that node's own peer table entry:
 * state, direction and rtt describe the node's link to the peer, `via` the neighbour that relays.
 * Browser peers that left the mesh are not listed.
 */
export interface MeshPeer {
  id: string;
  name: string;
  kind: PeerKind;
  state: PeerState;
  direction: 'inbound' | 'outbound' | null;
  /** Whether messages can reach the peer, directly or through other nodes. */
  reachable: boolean;
  via: string | null;
  /** Links between the node and the peer; 1 for the node's neighbours. */
  hops: number | null;
  /** Smoothed round-trip time in ms, null before the first pong. */
  rtt: number | null;
}

export interface ReconnectOptions {
  /** First delay after a failure, ms. Default 500. */
  min?: number;
  /** Largest delay, ms. Default 15000. */
  max?: number;
  /** Random spread as a fraction of the delay. Default 0.2. */
  jitter?: number;
}

export interface ConnectOptions {
  /** Display name, 1..256 characters. */
  name: string;
  /** The mesh secret, when the node has one (see `MeshProblem` code `secret-required`). */
  secret?: string;
  /** This peer's id; default a random 128-bit hex id per client. Keep it to stay the same peer across reloads. */
  id?: string;
  /** The mesh to join; default the mesh of the node (from its hello). */
  mesh?: string;
  /** Retry with exponential backoff after losing the node or failing to reach it; `false` to stop at the first loss. */
  reconnect?: ReconnectOptions | false;
  /** How long `send()` waits for the acknowledgement, ms. Default 15000. */
  sendTimeout?: number;
  /** Ask `<node>/access` before each attempt, to explain a refused handshake. Default true. */
  probe?: boolean;
}

export type ConnectionState =
  /** Asking the node whether this page may connect. */
  | 'probing'
  /** WebSocket opening or wsmesh handshake running. */
  | 'connecting'
  /** Handshake done: messages flow. */
  | 'open'
  /** Waiting for the next attempt (`retryAt`). */
  | 'waiting'
  /** Not trying any more: `close()` was called or the problem is one that retrying cannot fix. */
  | 'stopped';

export type MeshProblemCode =
  | 'unreachable'
  | 'origin-refused'
  | 'secret-required'
  | 'wrong-secret'
  | 'wrong-mesh'
  | 'incompatible-version'
  | 'too-many-peers'
  | 'duplicate'
  | 'handshake-timeout'
  | 'protocol-error'
  | 'connection-lost'
  | 'closed';

export interface MeshProblem {
  code: MeshProblemCode;
  /** A sentence for the user. */
  message: string;
  /** The WebSocket close code, when the node closed the connection. */
  closeCode?: number;
  /** True when retrying cannot help (the client stops). */
  fatal: boolean;
}

export interface NodeInfo {
  id: string;
  name: string;
  mesh: string;
}

export interface ConnectionStatus {
  state: ConnectionState;
  /** The node this page is attached to, from its hello (kept while reconnecting). */
  node: NodeInfo | null;
  /** Consecutive failed attempts. */
  failures: number;
  /** When the next attempt starts (epoch ms), while `waiting`. */
  retryAt: number | null;
  /** Why the last attempt failed or the connection ended; null while all is well. */
  problem: MeshProblem | null;
}

export interface MessageInfo {
  from: string;
  /** This peer's id for a direct message, null for a broadcast. */
  to: string | null;
  id: string;
  /** Links the message travelled. */
  hops: number;
  /** Epoch ms when it arrived. */
  receivedAt: number;
}

export interface MeshClientEvents {
  /** Every change of `status`. */
  status: [status: ConnectionStatus];
  /** The handshake finished: the page is a peer of the mesh. */
  open: [node: NodeInfo];
  /** The connection ended (a retry follows unless `problem.fatal` or `close()`). */
  close: [problem: MeshProblem];
  /** The node sent a new peer list. */
  peers: [peers: MeshPeer[]];
  /** An application message for this peer: text as string, binary as Uint8Array. */
  message: [data: string | Uint8Array, info: MessageInfo];
}

export interface MeshClient {
  readonly id: string;
  readonly name: string;
  readonly status: ConnectionStatus;
  /** The latest peer list (empty until the first one arrives). */
  readonly peers: MeshPeer[];
  /** A direct message; resolves when `peerId` acknowledged it. Waits (up to `sendTimeout`) while reconnecting. */
  send(peerId: string, data: string | Uint8Array): Promise<void>;
  /** Floods a message to every peer of the mesh; returns its id. Throws `MeshClientError('not-open')` while not open. */
  broadcast(data: string | Uint8Array): string;
  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof MeshClientEvents>(event: E, listener: (...args: MeshClientEvents[E]) => void): () => void;
  off<E extends keyof MeshClientEvents>(event: E, listener: (...args: MeshClientEvents[E]) => void): void;
  /** Starts a new attempt now (also after a fatal problem), optionally with another secret. */
  reconnect(options?: { secret?: string }): void;
  /** Leaves the mesh (close code 1000) and stops reconnecting. Pending sends reject. */
  close(): void;
}

export type MeshClientErrorCode = 'not-open' | 'timeout' | 'closed' | 'invalid';

export declare class MeshClientError extends Error {
  readonly code: MeshClientErrorCode;
  constructor(code: MeshClientErrorCode, message: string);
}

/** WebSocket close codes of wsmesh.v1 (same values as the node's `MeshCloseCode`). */
export declare const MeshCloseCode: {
  readonly BadMessage: 4000;
  readonly AuthFailed: 4001;
  readonly WrongMesh: 4002;
  readonly IncompatibleVersion: 4003;
  readonly SelfConnection: 4004;
  readonly HandshakeTimeout: 4005;
  readonly TooManyPeers: 4008;
  readonly Duplicate: 4009;
};

/**
 * Joins the mesh through the node at `url` (`ws://host:port/`, or the page's `http://` URL) and keeps
 * the connection up. Returns at once; watch `status` / `open`.
 */
export declare function connectMesh(url: string, options: ConnectOptions): MeshClient;
