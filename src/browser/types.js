// @ts-check
// The public types of wsmesh/browser, as JSDoc (the package's .d.ts files are generated from these by
// `npm run build`).

/**
 * @typedef {'node' | 'browser'} PeerKind
 * @typedef {'known' | 'connecting' | 'connected' | 'backoff' | 'lost'} PeerState
 */

/**
 * A member of the mesh. The node the page is attached to comes first (state `connected`, direction
 * `outbound`, rtt between it and this page); every other entry is that node's own peer table entry:
 * state, direction and rtt describe the node's link to the peer, `via` the neighbour that relays.
 * Browser peers that left the mesh are not listed.
 * @typedef {object} MeshPeer
 * @property {string} id
 * @property {string} name
 * @property {PeerKind} kind
 * @property {PeerState} state
 * @property {'inbound' | 'outbound' | null} direction
 * @property {boolean} reachable Whether messages can reach the peer, directly or through other nodes.
 * @property {string | null} via
 * @property {number | null} hops Links between the node and the peer; 1 for the node's neighbours.
 * @property {number | null} rtt Smoothed round-trip time in ms, null before the first pong.
 */

/**
 * @typedef {object} ReconnectOptions
 * @property {number} [min] First delay after a failure, ms. Default 500.
 * @property {number} [max] Largest delay, ms. Default 15000.
 * @property {number} [jitter] Random spread as a fraction of the delay. Default 0.2.
 */

/**
 * @typedef {import('./identity-key.js').IdentityKey} IdentityKey
 */

/**
 * @typedef {object} ConnectOptions
 * @property {string} name Display name, 1..256 characters.
 * @property {IdentityKey} identity This peer's Ed25519 key (`loadIdentityKey` keeps one in IndexedDB,
 *   `ephemeralIdentityKey` makes a throwaway one); the peer id is derived from it.
 * @property {string} [secret] The mesh secret, when the node has one (see `MeshProblem` code `secret-required`).
 * @property {string} [mesh] The mesh to join; default the node's mesh (from `/access`), else "wsmesh".
 * @property {ReconnectOptions | false} [reconnect] Retry with exponential backoff after losing the node or
 *   failing to reach it; `false` to stop at the first loss.
 * @property {number} [sendTimeout] How long `send()` waits for the acknowledgement, ms. Default 15000.
 * @property {boolean} [probe] Ask `<node>/access` before each attempt (whether this page may connect, the
 *   mesh name, whether a secret is needed). Default true.
 * @property {'auto' | 'noble' | 'webcrypto'} [crypto] Which crypto the link uses: 'auto' (default) takes
 *   WebCrypto's X25519 in a secure context that has it, else the pure-JS @noble code.
 */

/**
 * @typedef {'probing' | 'connecting' | 'open' | 'waiting' | 'stopped'} ConnectionState
 *   probing: asking the node whether this page may connect; connecting: WebSocket opening or link handshake
 *   running; open: messages flow; waiting: for the next attempt (`retryAt`); stopped: `close()` was called
 *   or the problem is one that retrying cannot fix.
 */

/**
 * @typedef {'unreachable' | 'origin-refused' | 'secret-required' | 'wrong-secret' | 'wrong-mesh'
 *   | 'incompatible-version' | 'too-many-peers' | 'duplicate' | 'handshake-timeout' | 'protocol-error'
 *   | 'connection-lost' | 'closed'} MeshProblemCode
 */

/**
 * @typedef {object} MeshProblem
 * @property {MeshProblemCode} code
 * @property {string} message A sentence for the user.
 * @property {number} [closeCode] The WebSocket close code, when the connection was closed.
 * @property {boolean} fatal True when retrying cannot help (the client stops).
 */

/**
 * @typedef {object} NodeInfo
 * @property {string} id The node's id, proven in the link handshake (derived from its identity key).
 * @property {string} name
 * @property {string} mesh
 */

/**
 * @typedef {object} CryptoInfo
 * @property {'noble' | 'webcrypto'} provider Whose X25519 the link handshake used.
 * @property {boolean} secureContext Whether the page is a secure context (https, localhost).
 * @property {'webcrypto' | 'raw'} keyStorage How this peer's private key is kept (see identity-key.js).
 */

/**
 * @typedef {object} ConnectionStatus
 * @property {ConnectionState} state
 * @property {NodeInfo | null} node The node this page is attached to (kept while reconnecting).
 * @property {number} failures Consecutive failed attempts.
 * @property {number | null} retryAt When the next attempt starts (epoch ms), while `waiting`.
 * @property {MeshProblem | null} problem Why the last attempt failed or the connection ended; null while all is well.
 * @property {CryptoInfo | null} crypto What the current or last link runs on.
 */

/**
 * @typedef {object} MessageInfo
 * @property {string} from The sender's id (its signature was checked).
 * @property {string | null} to This peer's id for a direct message, null for a broadcast.
 * @property {string} id
 * @property {number} hops Links the message travelled.
 * @property {number} receivedAt Epoch ms when it arrived.
 */

/**
 * @typedef {object} MeshClientEvents
 * @property {[status: ConnectionStatus]} status Every change of `status`.
 * @property {[node: NodeInfo]} open The handshake finished: the page is a peer of the mesh.
 * @property {[problem: MeshProblem]} close The connection ended (a retry follows unless `problem.fatal` or `close()`).
 * @property {[peers: MeshPeer[]]} peers The node sent a new peer list.
 * @property {[data: string | Uint8Array, info: MessageInfo]} message An application message for this peer:
 *   text as string, binary as Uint8Array.
 */

/** @typedef {'not-open' | 'timeout' | 'closed' | 'invalid'} MeshClientErrorCode */

/**
 * @typedef {object} MeshClient
 * @property {string} id This peer's id (from its identity key).
 * @property {string} name
 * @property {ConnectionStatus} status
 * @property {MeshPeer[]} peers The latest peer list (empty until the first one arrives).
 * @property {(peerId: string, data: string | Uint8Array) => Promise<void>} send A direct message; resolves when
 *   `peerId` acknowledged it. Waits (up to `sendTimeout`) while reconnecting.
 * @property {(data: string | Uint8Array) => string} broadcast Floods a message to every peer of the mesh;
 *   returns its id. Throws `MeshClientError('not-open')` while not open.
 * @property {<E extends keyof MeshClientEvents>(event: E, listener: (...args: MeshClientEvents[E]) => void) => () => void} on
 *   Subscribes; returns the function that unsubscribes.
 * @property {<E extends keyof MeshClientEvents>(event: E, listener: (...args: MeshClientEvents[E]) => void) => void} off
 * @property {(options?: { secret?: string, name?: string }) => void} reconnect Starts a new attempt now (also after
 *   a fatal problem), optionally with another secret or name.
 * @property {() => void} close Leaves the mesh (close code 1000) and stops reconnecting. Pending sends reject.
 */

export {};
