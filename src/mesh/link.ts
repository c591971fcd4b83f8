import { performance } from 'node:perf_hooks';
import type { WebSocket } from '../transport/websocket.ts';
import { MeshCloseCode, MeshProtocolError, closeReason } from './close-codes.ts';
import { CloseCode } from '../protocol/constants.ts';
import { WsLimitError, WsProtocolError } from '../protocol/errors.ts';
import { decodeFrame, encodeControl } from './envelope.ts';
import type { ControlMessage, DecodedFrame, PeerKind } from './envelope.ts';
import type { DialTarget, Direction } from './peer-table.ts';
import { patientTimeout } from '../transport/patient-timer.ts';
import { LANE_DIAL, LANE_ESTABLISHED, LANE_HANDSHAKE, type Lane, turnBudget } from '../transport/turn-budget.ts';
import { PingTracker } from './ping-tracker.ts';
import { nodeCrypto } from './node-crypto.ts';
import { NOISE_MAX_MESSAGE } from '../wire/noise.js';
import { WireError } from '../wire/errors.js';
import { SecureHandshake, isArbiter } from '../wire/secure-link.js';
import type { SecureTransport } from '../wire/secure-link.js';
import type { Identity } from '../wire/identity.js';
import type { KeyPair } from '../wire/provider.js';

/**
 * Every WebSocket message of a wsmesh.v2 link is one Noise message (handshake or transport), at most 65535 bytes;
 * larger mesh messages travel in several (src/wire/secure-link.js), reassembled up to `maxPayload`.
 */
export const MAX_LINK_MESSAGE_BYTES = NOISE_MAX_MESSAGE;

/**
 * Messages waiting in a link's inbox (for the turn budget) at which it stops reading from the peer, and below
 * which it reads again: a peer cannot grow the inbox without bound.
 */
const INBOX_PAUSE = 64;
const INBOX_RESUME = 16;

/** Bytes deflate may add to an incompressible message (a few per 16 KiB stored block, plus its framing). */
const DEFLATE_SLACK = 256;

/** This node as it presents itself on every link. */
export interface LocalIdentity {
  identity: Identity;
  /** This node's Noise static key pair (one per start), signed by `identity` in every handshake. */
  staticKeys: KeyPair;
  psk: Uint8Array;
  name: string;
  mesh: string;
  kind: PeerKind;
  listen: string[];
  boot: string;
}

/** The peer of a link, as proven by the Noise handshake (id and key) and said in its hello. */
export interface RemotePeer {
  id: string;
  /** Its Ed25519 identity key. */
  publicKey: Uint8Array;
  name: string;
  mesh: string;
  kind: PeerKind;
  listen: string[];
  boot: string;
}

/** Why a connection ended. `by` tells which side sent the close frame (`remote` also for a dropped TCP connection). */
export type DisconnectReason =
  | { type: 'close'; code: number; reason: string; by: 'local' | 'remote' }
  | { type: 'ping-timeout' }
  | { type: 'error'; message: string };

export interface LinkTimings {
  pingInterval: number;
  pingTimeout: number;
  handshakeTimeout: number;
}

export interface LinkHandler {
  /** Whether to admit the verified peer (`arbiter`: this side settles dedup); a refusal closes with its code. */
  admit(link: PeerLink, arbiter: boolean): { code: number; reason: string } | null;
  established(link: PeerLink): void;
  frame(link: PeerLink, frame: DecodedFrame, bytes: number): void;
  rtt(link: PeerLink, rtt: number): void;
  closed(link: PeerLink, reason: DisconnectReason): void;
  /** Handling a message of this link threw (a bug): the link was closed with 1011; the node must go on. */
  internalError(link: PeerLink, error: Error): void;
}

type LinkState = 'noise' | 'await-admission' | 'await-welcome' | 'established' | 'failed';

/**
 * One WebSocket to a peer: runs the Noise link handshake (src/wire), then the admission (the arbiter of the pair
 * sends `welcome`), then pings and hands decrypted, decoded frames to the node.
 */
export class PeerLink {
  readonly #handshake: SecureHandshake;
  #state: LinkState = 'noise';
  #remote: RemotePeer | null = null;
  #transport: SecureTransport | null = null;
  /**
   * Messages wait here while the previous handshake step is processed (the handshake is async), and while the
   * process's turn budget has no time for this link (src/transport/turn-budget.ts).
   */
  readonly #inbox: Array<{ data: string | Buffer; isBinary: boolean }> = [];
  /** #work() runs (it may be awaiting a handshake step). */
  #working = false;
  /** #work() waits in the turn budget. */
  #queued = false;
  /** WebSocket messages read from the peer (a ping timeout spares a peer whose messages keep coming). */
  #received = 0;
  readonly #pings = new PingTracker();
  /** Cancels the pending timers. */
  readonly #timers = new Set<() => void>();
  /**
   * The timeouts of the pings in flight, by seq: a pong cancels those it settles. Left to expire, each ping of each
   * link queued a task behind the process's turn budget (patient-timer.ts) that found the pong long settled: about
   * 1,000 such tasks a second in a 100-node process, lengthening the queue that records and routes wait in.
   */
  readonly #pingTimeouts = new Map<number, () => void>();
  #pingInterval: NodeJS.Timeout | undefined;
  #localClose: { code: number; reason: string } | null = null;
  #ending: DisconnectReason | null = null;
  #error: Error | null = null;
  #closed = false;
  #maxPayload: number;
  /** Mesh messages sent in this tick after its first: sealed together at its end (one Noise message and WebSocket frame for many). */
  #outbox: Array<{ data: Uint8Array; binary: boolean }> = [];
  /** Whether a message went out in this tick (the next ones wait in #outbox). */
  #sentThisTick = false;

  constructor(
    readonly socket: WebSocket,
    readonly direction: Direction,
    /** What was dialled, for outbound connections. */
    readonly target: DialTarget | null,
    /** The peer's IP as seen by the socket. */
    readonly remoteAddress: string | undefined,
    readonly local: LocalIdentity,
    readonly timings: LinkTimings,
    readonly handler: LinkHandler,
  ) {
    const { identity, staticKeys, psk, name, mesh, kind, listen, boot } = local;
    this.#handshake = new SecureHandshake({
      provider: nodeCrypto, initiator: direction === 'outbound', identity, psk, staticKeys, hello: { v: 2, name, mesh, kind, listen, boot, batch: true },
    });
    // No WebSocket message of the link may exceed one Noise message; mesh messages up to maxPayload are reassembled.
    this.#maxPayload = socket.maxPayload;
    // The codec checks sizes on the wire: permessage-deflate may grow incompressible ciphertext by a few bytes.
    socket.maxPayload = Math.min(socket.maxPayload, MAX_LINK_MESSAGE_BYTES + DEFLATE_SLACK);
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('pong', (payload) => this.#onPong(payload));
    socket.on('error', (error) => (this.#error = error));
    socket.on('close', (code, reason) => this.#onClose(code, reason));
    this.#after(timings.handshakeTimeout, () => {
      if (!this.isEstablished) this.close(MeshCloseCode.HandshakeTimeout, 'handshake timed out');
    });
    // The dialling side's first message costs a key pair: it waits for the process's turn budget like every
    // handshake message (a node that dials 60 addresses at once must not stall its process).
    const begin = () => this.#handshake.start().then(
      (messages) => {
        for (const message of messages) this.#sendRaw(message);
        this.#handshake.prepare();
      },
      (error: Error) => this.#internalError(error),
    );
    if (direction === 'inbound' || turnBudget.mayRun(LANE_DIAL)) void begin();
    else turnBudget.defer(LANE_DIAL, () => (this.#closed || this.#localClose !== null ? undefined : begin()));
  }

  /** The peer once the handshake proved its key and it said hello. */
  get remote(): RemotePeer | null {
    return this.#remote;
  }

  /** The id of the peer's proven key, as soon as the handshake showed it (for reports on refused connections). */
  get remoteId(): string | null {
    return this.#remote?.id ?? this.#handshake.remoteIdentity?.id ?? null;
  }

  /** Whether the handshake completed (stays true after the connection closed). */
  get wasEstablished(): boolean {
    return this.#state === 'established';
  }

  get isEstablished(): boolean {
    return this.#state === 'established' && !this.#closed && this.#localClose === null;
  }

  sendControl(message: ControlMessage): number {
    return this.send(encodeControl(message));
  }

  /**
   * Sends one mesh message (text: JSON; binary: header and payload); its size in bytes, or -1 when not open. The
   * first message of a tick goes out at once (a relayed broadcast waits for nothing); the ones after it are
   * encrypted and written together once the tick's synchronous work and the microtasks queued before are done
   * (see SecureTransport.sealAll); `close()` writes them first.
   */
  send(frame: string | Buffer): number {
    if (this.#closed || this.#localClose !== null || this.socket.readyState !== 1 || this.#transport === null) return -1;
    const bytes = typeof frame === 'string' ? Buffer.from(frame) : frame;
    const binary = typeof frame !== 'string';
    if (this.#sentThisTick) {
      this.#outbox.push({ data: bytes, binary });
    } else {
      this.#sentThisTick = true;
      queueMicrotask(this.#endTick);
      for (const fragment of this.#transport.seal(bytes, binary)) this.#sendRaw(fragment);
    }
    return bytes.length;
  }

  readonly #endTick = (): void => {
    this.#sentThisTick = false;
    this.#flush();
  };

  #flush(): void {
    const messages = this.#outbox;
    if (messages.length === 0) return;
    this.#outbox = [];
    for (const message of this.#transport!.sealAll(messages)) this.#sendRaw(message);
  }

  #sendRaw(message: Uint8Array): void {
    if (this.#closed || this.#localClose !== null || this.socket.readyState !== 1) return;
    this.socket.send(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  }

  close(code: number, reason: string): void {
    if (this.#closed || this.#localClose !== null) return;
    this.#flush();
    this.#localClose = { code, reason };
    this.#stopTimers();
    try {
      this.socket.close(code, closeReason(reason));
    } catch {
      this.socket.terminate();
    }
  }

  /** Drops the connection at once without a closing handshake, reporting `reason`. */
  destroy(reason: DisconnectReason): void {
    if (this.#closed) return;
    this.#ending ??= reason;
    this.#stopTimers();
    this.socket.terminate();
  }

  #onMessage(data: string | Buffer, isBinary: boolean): void {
    if (this.#closed || this.#localClose !== null) return;
    this.#received++;
    if (this.#inbox.length === 0 && !this.#working && !this.#queued && this.#state !== 'noise' && turnBudget.mayRun(this.#lane)) {
      this.#guarded(() => this.#handleTransport(data, isBinary));
      return;
    }
    this.#inbox.push({ data, isBinary });
    if (this.#inbox.length >= INBOX_PAUSE && !this.socket.isPaused) this.socket.pause();
    if (this.#working || this.#queued) return;
    if (turnBudget.mayRun(this.#lane)) void this.#work();
    else this.#queue();
  }

  /** Handshake messages go before the messages of established links in the turn budget. */
  get #lane(): Lane {
    return this.#state === 'established' ? LANE_ESTABLISHED : LANE_HANDSHAKE;
  }

  #queue(): void {
    this.#queued = true;
    turnBudget.defer(this.#lane, this.#runQueued);
  }

  readonly #runQueued = (): Promise<void> => {
    this.#queued = false;
    return this.#work();
  };

  #guarded(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (error instanceof WireError) return this.close(error.code, error.message);
      if (error instanceof MeshProtocolError) return this.close(error.code, error.message);
      this.#internalError(error);
    }
  }

  #internalError(error: unknown): void {
    if (this.#closed || this.#localClose !== null) return;
    this.close(CloseCode.InternalError, 'internal error');
    this.handler.internalError(this, error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * Works off the inbox in order: handshake messages one at a time (each step may await the crypto provider),
   * then transport messages. Yields to the turn budget (queued again) once the turn's slice is spent.
   */
  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#inbox.length > 0 && !this.#closed && this.#localClose === null) {
        const { data, isBinary } = this.#inbox.shift()!;
        if (this.#state === 'noise') {
          if (!isBinary) return this.close(MeshCloseCode.BadMessage, 'expected a binary Noise handshake message (wsmesh.v2)');
          let replies: Uint8Array[];
          try {
            replies = await this.#handshake.receive(data as Buffer);
          } catch (error) {
            if (error instanceof WireError) return this.close(error.code, error.message);
            return this.#internalError(error);
          }
          for (const reply of replies) this.#sendRaw(reply);
          const result = this.#handshake.result;
          if (result !== null) this.#guarded(() => this.#secured(result.remote, result.transport));
        } else {
          this.#guarded(() => this.#handleTransport(data, isBinary));
        }
        if (this.#inbox.length > 0 && turnBudget.spent) return this.#queue();
      }
    } finally {
      this.#working = false;
      if (this.#inbox.length < INBOX_RESUME && this.socket.isPaused && !this.#closed) this.socket.resume();
    }
  }

  /** The Noise handshake finished: the peer proved its key and the PSK; now the admission. */
  #secured(remote: { id: string; publicKey: Uint8Array; hello: { name: string; mesh: string; kind: PeerKind; listen: string[]; boot: string } }, transport: SecureTransport): void {
    const { name, mesh, kind, listen, boot } = remote.hello;
    this.#remote = { id: remote.id, publicKey: remote.publicKey, name, mesh, kind, listen, boot };
    transport.maxMessage = this.#maxPayload;
    this.#transport = transport;
    const arbiter = isArbiter({ id: this.local.identity.id, kind: this.local.kind }, this.#remote);
    this.#state = arbiter ? 'await-admission' : 'await-welcome';
    const refusal = this.handler.admit(this, arbiter);
    if (refusal !== null) return this.close(refusal.code, refusal.reason);
    if (!arbiter) return;
    this.sendControl({ t: 'welcome' });
    this.#becomeEstablished();
  }

  #handleTransport(data: string | Buffer, isBinary: boolean): void {
    if (!isBinary) throw new WireError(MeshCloseCode.BadMessage, 'a text WebSocket message on an encrypted link');
    for (const opened of this.#transport!.openAll(data as Buffer)) {
      // A message of the batch closed the link (or threw, closing it with 1011): the rest is dropped.
      if (this.#closed || this.#localClose !== null) return;
      this.#handleMessage(opened.data, opened.binary);
    }
  }

  #handleMessage(data: Uint8Array, binary: boolean): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const frame = decodeFrame(binary ? bytes : bytes.toString('utf8'), binary);
    if (this.#state === 'established') {
      if (frame !== null) this.handler.frame(this, frame, bytes.length);
      return;
    }
    if (this.#state === 'await-welcome' && frame?.message.t === 'welcome') return this.#becomeEstablished();
    throw new WireError(MeshCloseCode.BadMessage, `expected welcome, got ${frame === null ? 'a message of unknown type' : frame.message.t}`);
  }

  #becomeEstablished(): void {
    this.#state = 'established';
    this.#pingInterval = setInterval(() => this.#ping(), this.timings.pingInterval);
    this.handler.established(this);
  }

  #ping(): void {
    // The peer may have started the closing handshake (socket CLOSING): no more pings then.
    if (!this.isEstablished || this.socket.readyState !== 1) return;
    const { seq, payload } = this.#pings.next(performance.now());
    this.socket.ping(payload);
    const heard = this.#received;
    this.#pingTimeouts.set(seq, this.#after(this.timings.pingTimeout, () => {
      this.#pingTimeouts.delete(seq);
      if (!this.#pings.isOutstanding(seq)) return;
      // Messages of the peer read since the ping, or waiting in the inbox: the peer is there and its pong is behind
      // them (a busy process reads a flooding peer in turns, see turn-budget.ts).
      if (this.#received !== heard || this.#inbox.length > 0) return;
      this.destroy({ type: 'ping-timeout' });
    }));
  }

  #onPong(payload: Buffer): void {
    const rtt = this.#pings.pong(payload, performance.now());
    for (const [seq, cancel] of this.#pingTimeouts) {
      if (this.#pings.isOutstanding(seq)) continue;
      this.#pingTimeouts.delete(seq);
      cancel();
    }
    if (rtt !== null && this.isEstablished) this.handler.rtt(this, rtt);
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    const local = this.#localClose;
    let ending: DisconnectReason;
    if (this.#ending !== null) ending = this.#ending;
    else if (local !== null) ending = { type: 'close', code: local.code, reason: local.reason, by: 'local' };
    else if (this.#error !== null && code === 1006) ending = { type: 'error', message: this.#error.message };
    else ending = { type: 'close', code, reason, by: this.#failedByUs() ? 'local' : 'remote' };
    this.handler.closed(this, ending);
  }

  /** Whether our codec failed the connection (the peer broke RFC 6455, or did not read): then the close is ours. */
  #failedByUs(): boolean {
    return this.#error instanceof WsProtocolError || this.#error instanceof WsLimitError;
  }

  /**
   * Runs `run` after `ms` of a responsive event loop (see `patientTimeout`), unless the link stops first or the
   * function returned cancels it.
   */
  #after(ms: number, run: () => void): () => void {
    const stop = patientTimeout(ms, () => {
      this.#timers.delete(stop);
      run();
    });
    this.#timers.add(stop);
    return () => {
      this.#timers.delete(stop);
      stop();
    };
  }

  #stopTimers(): void {
    clearInterval(this.#pingInterval);
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    this.#pingTimeouts.clear();
  }
}
