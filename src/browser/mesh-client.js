// @ts-check
// The browser client: one link to one node (secure-socket.js on the shared wire module), kept up with
// backoff; signed application messages and acknowledgements; the node's peer table.
import { backoffDelay } from '../wire/backoff.js';
import { toBase64Url, utf8 } from '../wire/bytes.js';
import { DedupCache } from '../wire/dedup-cache.js';
import { ackMessage, appMessage, DEFAULT_TTL, decodeFrame, encodeMessage } from '../wire/envelope.js';
import { derivePsk } from '../wire/identity.js';
import { signatureProblem, signedBytes } from '../wire/signing.js';
import { probeAccess } from './access-probe.js';
import { Emitter } from './emitter.js';
import { nodeUrls } from './node-urls.js';
import { peersFromNode } from './peer-list.js';
import { problem, problemForClose } from './problems.js';
import { browserHandshake, browserHello, chooseProvider, randomHex, SecureSocket } from './secure-socket.js';
import { isSecureContext } from './crypto-webcrypto.js';

/**
 * @import { ConnectOptions, ConnectionStatus, CryptoInfo, IdentityKey, MeshClient, MeshClientErrorCode,
 *   MeshClientEvents, MeshPeer, MeshProblem, NodeInfo, ReconnectOptions } from './types.js'
 * @import { AppMessage, AckMessage, WireFrame } from '../wire/envelope.js'
 * @import { ChosenProvider } from './secure-socket.js'
 * @import { WireError } from '../wire/errors.js'
 */

const MAX_NAME_LENGTH = 256;
const DEFAULT_MESH = 'wsmesh';
/** @type {Required<ReconnectOptions>} */
const DEFAULT_RECONNECT = { min: 500, max: 15_000, jitter: 0.2 };
const DEFAULT_SEND_TIMEOUT = 15_000;
/**
 * A direct message goes out again until acknowledged, every so often: a node drops an ack it has no route for
 * yet (e.g. the page joined a moment ago). The copies are the same signed message (same seq), delivered once.
 */
const RETRANSMIT_MS = 2000;
const CLOSE_NORMAL = 1000;

export class MeshClientError extends Error {
  /** @param {MeshClientErrorCode} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'MeshClientError';
    this.code = code;
  }
}

/**
 * @typedef {{ to: string, message: AppMessage, payload: Uint8Array | undefined, resolve: () => void,
 *   reject: (error: Error) => void, timer: ReturnType<typeof setTimeout>, retransmit: ReturnType<typeof setInterval> | undefined }} PendingSend
 */

/**
 * Signs a mesh message (`msg`, `ack`) exactly as the wire module's signMessage does, with a key that signs
 * asynchronously (a non-extractable WebCrypto key).
 * @param {IdentityKey} key @param {Record<string, unknown>} message @param {Uint8Array} [payload]
 */
async function signWith(key, message, payload) {
  message.key = toBase64Url(key.publicKey);
  message.sig = toBase64Url(await key.sign(signedBytes(message, payload)));
  return message;
}

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** @implements {MeshClient} */
class MeshConnection {
  /** @type {Emitter<MeshClientEvents>} */
  #events = new Emitter();
  /** @type {ConnectionStatus} */
  #status = { state: 'connecting', node: null, failures: 0, retryAt: null, problem: null, crypto: null };
  /** @type {MeshPeer[]} */
  #peers = [];
  /** @type {unknown[]} The node's last `peers` list, kept over a reconnect until the node sends a new one. */
  #nodeEntries = [];
  /** @type {SecureSocket | null} */
  #socket = null;
  #welcomed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {Map<string, PendingSend>} */
  #pending = new Map();
  #seen = new DedupCache(5000);
  #stopped = false;
  #attempt = 0;
  /** @type {string | undefined} */
  #secret;
  /** @type {{ mesh: string, secret: string | undefined, psk: Promise<Uint8Array> } | null} */
  #psk = null;
  /** @type {ChosenProvider | null} */
  #crypto = null;
  #boot = randomHex(8);
  /**
   * This peer's message counter (`seq`, signed with each message): nodes deliver an (origin, seq) once and refuse
   * old ones, so it starts from the clock (microseconds) to stay ahead of the last run of the same key.
   */
  #seq = Date.now() * 1000;
  /** @type {ReturnType<typeof nodeUrls>} */
  #urls;
  /** @type {ConnectOptions} */
  #options;
  /** @type {Required<ReconnectOptions> | null} */
  #backoff;
  /** @type {IdentityKey} */
  #key;

  /** @param {string} url @param {ConnectOptions} options */
  constructor(url, options) {
    checkName(options?.name);
    const key = options.identity;
    if (typeof key !== 'object' || key === null || typeof key.id !== 'string' || !(key.publicKey instanceof Uint8Array) || typeof key.sign !== 'function') {
      throw new MeshClientError('invalid', 'identity must be an identity key (loadIdentityKey or ephemeralIdentityKey)');
    }
    this.#urls = nodeUrls(url);
    this.#key = key;
    this.id = key.id;
    this.name = options.name;
    this.#secret = options.secret;
    this.#options = options;
    this.#backoff = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    queueMicrotask(() => this.#start());
  }

  get status() {
    return structuredClone(this.#status);
  }

  get peers() {
    return structuredClone(this.#peers);
  }

  /** @type {MeshClient['on']} */
  on(event, listener) {
    return this.#events.on(event, listener);
  }

  /** @type {MeshClient['off']} */
  off(event, listener) {
    this.#events.off(event, listener);
  }

  /** @param {string} peerId @param {string | Uint8Array} data @returns {Promise<void>} */
  send(peerId, data) {
    if (this.#stopped) return Promise.reject(new MeshClientError('closed', 'the client was closed'));
    if (typeof peerId !== 'string' || peerId.length === 0) return Promise.reject(new MeshClientError('invalid', 'peerId must be a peer id'));
    const id = randomHex(8);
    const { message, payload } = appMessage({ t: 'msg', id, from: this.id, to: peerId, ttl: DEFAULT_TTL, hops: 0, seq: ++this.#seq }, data);
    const timeout = this.#options.sendTimeout ?? DEFAULT_SEND_TIMEOUT;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(id);
        reject(new MeshClientError('timeout', `no acknowledgement from ${peerId} within ${timeout} ms`));
      }, timeout);
      /** @type {PendingSend} */
      const pending = { to: peerId, message, payload, resolve, reject, timer, retransmit: undefined };
      this.#pending.set(id, pending);
      signWith(this.#key, message, payload).then(() => {
        if (!this.#pending.has(id)) return;
        const transmit = () => this.#status.state === 'open' && this.#sendMessage(message, payload);
        transmit();
        pending.retransmit = setInterval(transmit, RETRANSMIT_MS);
      }, (error) => {
        this.#settle(id);
        reject(new MeshClientError('invalid', `cannot sign the message: ${messageOf(error)}`));
      });
    });
  }

  /** @param {string | Uint8Array} data */
  broadcast(data) {
    if (this.#status.state !== 'open' || this.#socket === null) {
      throw new MeshClientError('not-open', 'not connected to the mesh: cannot broadcast now');
    }
    const id = randomHex(8);
    this.#seen.add(`${this.id}/${id}`, Date.now());
    const { message, payload } = appMessage({ t: 'msg', id, from: this.id, to: null, ttl: DEFAULT_TTL, hops: 0, seq: ++this.#seq }, data);
    const socket = this.#socket;
    signWith(this.#key, message, payload).then(
      () => {
        if (socket === this.#socket) this.#sendMessage(message, payload);
      },
      (error) => globalThis.reportError?.(error),
    );
    return id;
  }

  /** @param {{ secret?: string, name?: string }} [options] */
  reconnect(options = {}) {
    if (options.name !== undefined) {
      checkName(options.name);
      this.name = options.name;
    }
    if (options.secret !== undefined) this.#secret = options.secret;
    this.#stopped = false;
    clearTimeout(this.#retryTimer);
    this.#dropSocket(CLOSE_NORMAL, 'reconnecting');
    this.#update({ state: 'connecting', failures: 0, retryAt: null, problem: null });
    this.#start();
  }

  close() {
    if (this.#stopped && this.#socket === null) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#dropSocket(CLOSE_NORMAL, 'leaving');
    for (const [id, pending] of this.#pending) {
      this.#settle(id);
      pending.reject(new MeshClientError('closed', 'the client was closed before the message was acknowledged'));
    }
    this.#update({ state: 'stopped', retryAt: null, problem: problem('closed', 'Left the mesh.', true) });
  }

  async #start() {
    if (this.#stopped) return;
    const attempt = ++this.#attempt;
    let mesh = this.#options.mesh ?? null;
    if (this.#options.probe !== false) {
      this.#update({ state: 'probing', retryAt: null });
      const answer = await probeAccess(this.#urls.accessUrl, this.#urls.host, this.#secret !== undefined);
      if (attempt !== this.#attempt || this.#stopped) return;
      if ('problem' in answer) return this.#failed(answer.problem);
      mesh ??= answer.mesh;
    }
    this.#update({ state: 'connecting', retryAt: null });
    let handshake;
    try {
      this.#crypto ??= await chooseProvider(this.#options.crypto);
      let psk;
      try {
        psk = await this.#pskFor(mesh ?? DEFAULT_MESH);
      } catch (error) {
        // derivePsk refuses secrets too short to resist guessing: no node accepts them either.
        if (attempt === this.#attempt && !this.#stopped) this.#failed(problem('wrong-secret', `Wrong secret: ${messageOf(error)}.`, true));
        return;
      }
      handshake = await browserHandshake({ provider: this.#crypto.provider, key: this.#key, psk, hello: browserHello(this.name, mesh ?? DEFAULT_MESH, this.#boot) });
    } catch (error) {
      if (attempt !== this.#attempt || this.#stopped) return;
      return this.#failed(problem('protocol-error', `Cannot prepare the link: ${messageOf(error)}`, true));
    }
    if (attempt !== this.#attempt || this.#stopped) return;
    /** @type {CryptoInfo} */
    const crypto = { provider: this.#crypto.name, secureContext: isSecureContext(), keyStorage: this.#key.storage };
    this.#update({ crypto });
    this.#welcomed = false;
    try {
      this.#socket = new SecureSocket(this.#urls.socketUrl, handshake, {
        onOpen: () => {},
        onMessage: (data, binary) => this.#onMessage(attempt, data, binary),
        onClose: (code, reason, error) => this.#onClose(attempt, code, reason, error),
      });
    } catch (error) {
      this.#failed(problem('unreachable', `Cannot open a WebSocket to ${this.#urls.socketUrl}: ${messageOf(error)}`, true));
    }
  }

  /** The PSK of `mesh` with the current secret (scrypt takes a while in pure JS: kept while both stay). @param {string} mesh */
  #pskFor(mesh) {
    const provider = /** @type {ChosenProvider} */ (this.#crypto).provider;
    if (this.#psk === null || this.#psk.mesh !== mesh || this.#psk.secret !== this.#secret) {
      this.#psk = { mesh, secret: this.#secret, psk: derivePsk(provider, mesh, this.#secret) };
    }
    return this.#psk.psk;
  }

  /** @param {AppMessage | AckMessage} message @param {Uint8Array} [payload] */
  #sendMessage(message, payload) {
    const frame = encodeMessage(message, payload);
    this.#socket?.send(typeof frame === 'string' ? utf8(frame) : frame, typeof frame !== 'string');
  }

  /** @param {number} attempt @param {Uint8Array} data @param {boolean} binary */
  #onMessage(attempt, data, binary) {
    if (attempt !== this.#attempt) return;
    /** @type {WireFrame | null} */
    const decoded = decodeFrame(data, binary);
    if (decoded === null) return;
    const { message, payload } = decoded;
    if (!this.#welcomed) {
      if (message.t !== 'welcome') return this.#socket?.close(4000, `expected welcome, got ${message.t}`);
      return this.#onWelcome();
    }
    if (message.t === 'msg') this.#onApp(message, payload);
    else if (message.t === 'ack') this.#onAck(message);
    else if (message.t === 'peers') this.#setPeers(message.peers);
  }

  #onWelcome() {
    const link = /** @type {SecureSocket} */ (this.#socket).handshake.result;
    if (link === null) return;
    this.#welcomed = true;
    /** @type {NodeInfo} */
    const node = { id: link.remote.id, name: link.remote.hello.name, mesh: link.remote.hello.mesh };
    this.#peers = peersFromNode(node, this.#nodeEntries, this.id);
    this.#update({ state: 'open', node, failures: 0, retryAt: null, problem: null });
    this.#events.emit('open', node);
    this.#events.emit('peers', this.peers);
    for (const pending of this.#pending.values()) if (typeof pending.message.sig === 'string') this.#sendMessage(pending.message, pending.payload);
  }

  /**
   * Whether a message really comes from its `from`. The attached node sends its own direct messages and acks
   * to this page unsigned (the link's handshake proved its key); everything else carries its origin's signature,
   * which the page checks (the node checked it too; the page does not take the node's word for it).
   * @param {Record<string, unknown>} message @param {string} from @param {Uint8Array} [payload]
   */
  #signedBy(message, from, payload) {
    if (message.sig === undefined && from === this.#status.node?.id && message.to === this.id) return true;
    return signatureProblem(/** @type {ChosenProvider} */ (this.#crypto).provider, message, from, payload) === null;
  }

  /** @param {AppMessage} message @param {Uint8Array | undefined} payload */
  #onApp(message, payload) {
    const { id, from, to, hops } = message;
    if (from === this.id || (to !== null && to !== this.id)) return;
    if (!this.#signedBy(message, from, payload)) return;
    // The application gets a payload of its own (decodeFrame's is a view into the decrypted message).
    const data = payload?.slice() ?? /** @type {string} */ (message.data);
    const firstCopy = this.#seen.add(`${from}/${id}`, Date.now());
    if (to !== null) {
      const ack = ackMessage(id, this.id, from, DEFAULT_TTL);
      const socket = this.#socket;
      signWith(this.#key, ack).then(() => socket === this.#socket && this.#sendMessage(ack), (error) => globalThis.reportError?.(error));
    }
    if (firstCopy) this.#events.emit('message', data, { from, to, id, hops: hops + 1, receivedAt: Date.now() });
  }

  /** @param {AckMessage} ack */
  #onAck(ack) {
    const pending = this.#pending.get(ack.id);
    if (ack.to !== this.id || pending === undefined || pending.to !== ack.from || !this.#signedBy(ack, ack.from)) return;
    this.#settle(ack.id);
    pending.resolve();
  }

  /** A pending direct message is over (acknowledged, timed out, or the client closed). @param {string} id */
  #settle(id) {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    clearInterval(pending.retransmit);
  }

  /** @param {unknown[]} entries */
  #setPeers(entries) {
    const node = this.#status.node;
    if (node === null) return;
    this.#nodeEntries = entries;
    this.#peers = peersFromNode(node, entries, this.id);
    this.#events.emit('peers', this.peers);
  }

  /** @param {number} attempt @param {number} code @param {string} reason @param {WireError | null} error */
  #onClose(attempt, code, reason, error) {
    if (attempt !== this.#attempt) return;
    this.#socket = null;
    const wasOpen = this.#welcomed;
    this.#welcomed = false;
    const cause = error === null
      ? problemForClose(code, reason, wasOpen)
      : { ...problemForClose(error.code, '', wasOpen), message: `The page closed the link: ${error.message}` };
    if (wasOpen) this.#events.emit('close', cause);
    this.#failed(cause);
  }

  /** An attempt failed or the connection ended: wait and retry, unless retrying cannot help. @param {MeshProblem} cause */
  #failed(cause) {
    if (this.#stopped) return;
    const failures = this.#status.failures + 1;
    if (cause.fatal || this.#backoff === null) {
      this.#update({ state: 'stopped', failures, retryAt: null, problem: cause });
      return;
    }
    const delay = backoffDelay(failures, this.#backoff);
    this.#retryTimer = setTimeout(() => this.#start(), delay);
    this.#update({ state: 'waiting', failures, retryAt: Date.now() + delay, problem: cause });
  }

  /**
   * Closes the current socket without reporting it (its events belong to an attempt that is over).
   * @param {number} code @param {string} reason
   */
  #dropSocket(code, reason) {
    this.#attempt++;
    const socket = this.#socket;
    this.#socket = null;
    this.#welcomed = false;
    socket?.close(code, reason);
    if (this.#status.state === 'open') this.#events.emit('close', problem('closed', 'Left the mesh.', false));
  }

  /** @param {Partial<ConnectionStatus>} changes */
  #update(changes) {
    this.#status = { ...this.#status, ...changes };
    this.#events.emit('status', this.status);
  }
}

/** @param {unknown} name */
function checkName(name) {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new MeshClientError('invalid', `name must be a string of 1..${MAX_NAME_LENGTH} characters`);
  }
}

/**
 * Joins the mesh through the node at `url` (`ws://host:port/`, or the page's `http://` URL) and keeps the
 * connection up. Returns at once; watch `status` / `open`.
 * @param {string} url
 * @param {ConnectOptions} options
 * @returns {MeshClient}
 */
export const connectMesh = (url, options) => new MeshConnection(url, options);
