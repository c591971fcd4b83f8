// @ts-check
import { probeAccess } from './access-probe.js';
import { randomHex } from './auth-proof.js';
import { problemForClose } from './close-codes.js';
import { Emitter } from './emitter.js';
import { BadFrameError, DEFAULT_TTL, MESH_SUBPROTOCOL, decodeFrame, encodeApp } from './envelope.js';
import { LinkHandshake, problem } from './link-handshake.js';
import { nodeUrls } from './node-urls.js';
import { peersFromNode } from './peer-list.js';
import { SeenIds } from './seen-ids.js';

/**
 * @import { ConnectOptions, ConnectionStatus, MeshClient, MeshClientErrorCode, MeshClientEvents, MeshPeer,
 *   MeshProblem, NodeInfo, ReconnectOptions } from './index.js'
 * @import { AppMessage, AckMessage, DecodedFrame } from './envelope.js'
 */

const MAX_NAME_LENGTH = 256;
const MAX_ID_LENGTH = 128;
/** @type {Required<ReconnectOptions>} */
const DEFAULT_RECONNECT = { min: 500, max: 15_000, jitter: 0.2 };
const DEFAULT_SEND_TIMEOUT = 15_000;
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
 * @typedef {{ to: string, frame: string | Uint8Array<ArrayBuffer>, resolve: () => void, reject: (error: Error) => void,
 *   timer: ReturnType<typeof setTimeout> }} PendingSend
 */

/** @implements {MeshClient} */
class MeshConnection {
  /** @type {Emitter<MeshClientEvents>} */
  #events = new Emitter();
  /** @type {ConnectionStatus} */
  #status = { state: 'connecting', node: null, failures: 0, retryAt: null, problem: null };
  /** @type {MeshPeer[]} */
  #peers = [];
  /** @type {unknown[]} The node's last `peers` list, kept over a reconnect until the node sends a new one. */
  #nodeEntries = [];
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {MeshProblem | null} What the page found wrong before closing the socket (wins over the close code). */
  #localProblem = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {Map<string, PendingSend>} */
  #pending = new Map();
  #seen = new SeenIds();
  #stopped = false;
  #attempt = 0;
  /** @type {string | undefined} */
  #secret;
  /** @type {ReturnType<typeof nodeUrls>} */
  #urls;
  /** @type {ConnectOptions} */
  #options;
  /** @type {Required<ReconnectOptions> | null} */
  #backoff;

  /** @param {string} url @param {ConnectOptions} options */
  constructor(url, options) {
    if (typeof options?.name !== 'string' || options.name.length === 0 || options.name.length > MAX_NAME_LENGTH) {
      throw new MeshClientError('invalid', `name must be a string of 1..${MAX_NAME_LENGTH} characters`);
    }
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length === 0 || options.id.length > MAX_ID_LENGTH)) {
      throw new MeshClientError('invalid', `id must be a string of 1..${MAX_ID_LENGTH} characters`);
    }
    this.#urls = nodeUrls(url);
    this.id = options.id ?? randomHex(16);
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
    const frame = encodeApp({ t: 'msg', id, from: this.id, to: peerId, ttl: DEFAULT_TTL, hops: 0 }, data);
    const timeout = this.#options.sendTimeout ?? DEFAULT_SEND_TIMEOUT;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MeshClientError('timeout', `no acknowledgement from ${peerId} within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, { to: peerId, frame, resolve, reject, timer });
      if (this.#status.state === 'open') this.#socket?.send(frame);
    });
  }

  /** @param {string | Uint8Array} data */
  broadcast(data) {
    if (this.#status.state !== 'open' || this.#socket === null) {
      throw new MeshClientError('not-open', 'not connected to the mesh: cannot broadcast now');
    }
    const id = randomHex(8);
    this.#seen.add(id);
    this.#socket.send(encodeApp({ t: 'msg', id, from: this.id, to: null, ttl: DEFAULT_TTL, hops: 0 }, data));
    return id;
  }

  /** @param {{ secret?: string }} [options] */
  reconnect(options = {}) {
    if (options.secret !== undefined) this.#secret = options.secret;
    this.#stopped = false;
    clearTimeout(this.#retryTimer);
    this.#dropSocket(CLOSE_NORMAL, 'reconnecting');
    this.#update({ failures: 0, retryAt: null });
    this.#start();
  }

  close() {
    if (this.#stopped && this.#socket === null) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#dropSocket(CLOSE_NORMAL, 'leaving');
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new MeshClientError('closed', 'the client was closed before the message was acknowledged'));
    }
    this.#pending.clear();
    this.#update({ state: 'stopped', retryAt: null, problem: problem('closed', 'Left the mesh.', true) });
  }

  async #start() {
    if (this.#stopped) return;
    const attempt = ++this.#attempt;
    if (this.#options.probe !== false) {
      this.#update({ state: 'probing', retryAt: null });
      const refusal = await probeAccess(this.#urls.accessUrl, this.#urls.host, this.#secret !== undefined);
      if (attempt !== this.#attempt || this.#stopped) return;
      if (refusal !== null) return this.#failed(refusal);
    }
    this.#open(attempt);
  }

  /** @param {number} attempt */
  #open(attempt) {
    this.#update({ state: 'connecting', retryAt: null });
    let socket;
    try {
      socket = new WebSocket(this.#urls.socketUrl, MESH_SUBPROTOCOL);
    } catch (error) {
      return this.#failed(problem('unreachable', `Cannot open a WebSocket to ${this.#urls.socketUrl}: ${String(error)}`, true));
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#localProblem = null;
    const handshake = new LinkHandshake({ id: this.id, name: this.name, mesh: this.#options.mesh, secret: this.#secret });
    // Frames are handled one after the other (the handshake's HMAC is async); events of an attempt
    // that is over are dropped, and a failing handler does not stop the ones after it.
    /** @type {Promise<unknown>} */
    let queue = Promise.resolve();
    /** @param {() => unknown} task */
    const enqueue = (task) => {
      queue = queue.then(() => (attempt === this.#attempt ? task() : undefined)).catch((error) => globalThis.reportError?.(error));
    };
    socket.addEventListener('message', (event) => enqueue(() => this.#onFrame(socket, handshake, event.data)));
    socket.addEventListener('close', (event) => enqueue(() => this.#onClose(handshake, event.code, event.reason)));
  }

  /** @param {WebSocket} socket @param {LinkHandshake} handshake @param {string | ArrayBuffer} data */
  async #onFrame(socket, handshake, data) {
    if (socket.readyState !== WebSocket.OPEN) return;
    /** @type {DecodedFrame | null} */
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      const message = error instanceof BadFrameError ? error.message : String(error);
      return this.#abort(4000, problem('protocol-error', `The node sent a bad message: ${message}`, false));
    }
    if (frame === null) return;
    if (handshake.state !== 'established') return this.#onHandshakeFrame(socket, handshake, frame);
    const { message, payload } = frame;
    if (message.t === 'msg') this.#onApp(message, payload);
    else if (message.t === 'ack') this.#onAck(message);
    else if (message.t === 'peers') this.#setPeers(message.peers);
  }

  /** @param {WebSocket} socket @param {LinkHandshake} handshake @param {DecodedFrame} frame */
  async #onHandshakeFrame(socket, handshake, frame) {
    const step = await handshake.receive(frame.message);
    if (socket !== this.#socket) return;
    if (step.type === 'fail') return this.#abort(step.closeCode, step.problem);
    if (step.type === 'send') {
      for (const message of step.messages) socket.send(JSON.stringify(message));
      return;
    }
    const hello = /** @type {NonNullable<LinkHandshake['node']>} */ (handshake.node);
    /** @type {NodeInfo} */
    const node = { id: hello.id, name: hello.name, mesh: hello.mesh };
    this.#peers = peersFromNode(node, this.#nodeEntries, this.id);
    this.#update({ state: 'open', node, failures: 0, retryAt: null, problem: null });
    this.#events.emit('open', node);
    this.#events.emit('peers', this.peers);
    for (const pending of this.#pending.values()) socket.send(pending.frame);
  }

  /** @param {AppMessage} message @param {Uint8Array | undefined} payload */
  #onApp(message, payload) {
    const { id, from, to, hops } = message;
    if (from === this.id || (to !== null && to !== this.id)) return;
    const data = payload ?? /** @type {string} */ (message.data);
    const firstCopy = this.#seen.add(to === null ? id : `${from}/${id}`);
    if (to !== null) {
      /** @type {AckMessage} */
      const ack = { t: 'ack', id, from: this.id, to: from, ttl: DEFAULT_TTL };
      this.#socket?.send(JSON.stringify(ack));
    }
    if (firstCopy) this.#events.emit('message', data, { from, to, id, hops: hops + 1, receivedAt: Date.now() });
  }

  /** @param {AckMessage} ack */
  #onAck(ack) {
    const pending = this.#pending.get(ack.id);
    if (ack.to !== this.id || pending === undefined || pending.to !== ack.from) return;
    this.#pending.delete(ack.id);
    clearTimeout(pending.timer);
    pending.resolve();
  }

  /** @param {unknown[]} entries */
  #setPeers(entries) {
    const node = this.#status.node;
    if (node === null) return;
    this.#nodeEntries = entries;
    this.#peers = peersFromNode(node, entries, this.id);
    this.#events.emit('peers', this.peers);
  }

  /**
   * The page ends the connection because of `cause` (the close reason is its short ASCII code: a
   * WebSocket close reason may not exceed 123 bytes).
   * @param {number} closeCode @param {MeshProblem} cause
   */
  #abort(closeCode, cause) {
    this.#localProblem = cause;
    this.#socket?.close(closeCode, cause.code);
  }

  /** @param {LinkHandshake} handshake @param {number} code @param {string} reason */
  #onClose(handshake, code, reason) {
    this.#socket = null;
    const wasOpen = handshake.state === 'established';
    const cause = this.#localProblem ?? problemForClose(code, reason, wasOpen);
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
    const { min, max, jitter } = this.#backoff;
    const base = Math.min(max, min * 2 ** Math.min(failures - 1, 30));
    const delay = Math.round(Math.min(max, base * (1 + jitter * (2 * Math.random() - 1))));
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
    if (socket !== null && socket.readyState <= WebSocket.OPEN) socket.close(code, reason);
    if (this.#status.state === 'open') this.#events.emit('close', problem('closed', 'Left the mesh.', false));
  }

  /** @param {Partial<ConnectionStatus>} changes */
  #update(changes) {
    this.#status = { ...this.#status, ...changes };
    this.#events.emit('status', this.status);
  }
}

/** @type {typeof import('./index.js').connectMesh} */
export const connectMesh = (url, options) => new MeshConnection(url, options);
