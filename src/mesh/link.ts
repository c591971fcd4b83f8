import { performance } from 'node:perf_hooks';
import type { WebSocket } from '../transport/websocket.ts';
import { MeshCloseCode, MeshProtocolError, closeReason } from './close-codes.ts';
import { CloseCode } from '../protocol/constants.ts';
import { WsLimitError, WsProtocolError } from '../protocol/errors.ts';
import { decodeFrame, encodeControl } from './envelope.ts';
import type { ControlMessage, DecodedFrame, HelloMessage } from './envelope.ts';
import { LinkHandshake } from './handshake.ts';
import type { HandshakeStep, LocalIdentity } from './handshake.ts';
import type { DialTarget, Direction } from './peer-table.ts';
import { PingTracker } from './ping-tracker.ts';

/**
 * Largest message accepted before the handshake is done (a hello at every field limit, fully escaped, fits):
 * parsing JSON costs many times its size, so a peer that has not said who it is gets no more.
 */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 256 * 1024;

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

/** One WebSocket to a peer: runs the wsmesh handshake, then pings and hands decoded frames to the node. */
export class PeerLink {
  readonly #handshake: LinkHandshake;
  readonly #pings = new PingTracker();
  readonly #timers = new Set<NodeJS.Timeout>();
  #pingInterval: NodeJS.Timeout | undefined;
  #localClose: { code: number; reason: string } | null = null;
  #ending: DisconnectReason | null = null;
  #error: Error | null = null;
  #closed = false;
  #maxPayload: number;

  constructor(
    readonly socket: WebSocket,
    readonly direction: Direction,
    /** What was dialled, for outbound connections. */
    readonly target: DialTarget | null,
    /** The peer's IP as seen by the socket. */
    readonly remoteAddress: string | undefined,
    local: LocalIdentity,
    readonly timings: LinkTimings,
    readonly handler: LinkHandler,
  ) {
    this.#handshake = new LinkHandshake(local);
    // Until the peer has said who it is (and proved the secret), the codec refuses large messages from the header on.
    this.#maxPayload = socket.maxPayload;
    socket.maxPayload = Math.min(socket.maxPayload, MAX_HANDSHAKE_MESSAGE_BYTES);
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('pong', (payload) => this.#onPong(payload));
    socket.on('error', (error) => (this.#error = error));
    socket.on('close', (code, reason) => this.#onClose(code, reason));
    this.#after(timings.handshakeTimeout, () => {
      if (!this.isEstablished) this.close(MeshCloseCode.HandshakeTimeout, 'handshake timed out');
    });
    this.sendControl(this.#handshake.hello());
  }

  /** The peer's hello once received. */
  get remote(): HelloMessage | null {
    return this.#handshake.remote;
  }

  /** Whether the handshake completed (stays true after the connection closed). */
  get wasEstablished(): boolean {
    return this.#handshake.state === 'established';
  }

  get isEstablished(): boolean {
    return this.#handshake.state === 'established' && !this.#closed && this.#localClose === null;
  }

  sendControl(message: ControlMessage): number {
    return this.send(encodeControl(message));
  }

  /** Sends one frame; returns its size in bytes, or -1 when the connection is no longer open. */
  send(frame: string | Buffer): number {
    if (this.#closed || this.#localClose !== null || this.socket.readyState !== 1) return -1;
    this.socket.send(frame);
    return typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  }

  close(code: number, reason: string): void {
    if (this.#closed || this.#localClose !== null) return;
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
    try {
      this.#handle(data, isBinary);
    } catch (error) {
      this.close(CloseCode.InternalError, 'internal error');
      this.handler.internalError(this, error instanceof Error ? error : new Error(String(error)));
    }
  }

  #handle(data: string | Buffer, isBinary: boolean): void {
    let frame: DecodedFrame | null;
    try {
      frame = decodeFrame(data, isBinary);
    } catch (error) {
      if (!(error instanceof MeshProtocolError)) throw error;
      return this.close(error.code, error.message);
    }
    // Unknown message types are ignored for forward compatibility, but only once the link is up.
    if (frame === null && this.#handshake.state !== 'established') {
      return this.close(MeshCloseCode.BadMessage, `a message of unknown type before the handshake finished (expected ${this.#expected()})`);
    }
    if (frame === null) return;
    if (this.#handshake.state === 'established') {
      this.handler.frame(this, frame, typeof data === 'string' ? Buffer.byteLength(data) : data.length);
      return;
    }
    this.#apply(this.#handshake.receive(frame.message));
  }

  #expected(): string {
    const state = this.#handshake.state;
    return state === 'await-hello' ? 'hello' : state === 'await-auth' ? 'auth' : 'welcome';
  }

  #apply(steps: HandshakeStep[]): void {
    for (const step of steps) {
      if (step.type === 'send') this.sendControl(step.message);
      else if (step.type === 'fail') return this.close(step.code, step.reason);
      else if (step.type === 'admit') {
        const refusal = this.handler.admit(this, step.arbiter);
        if (refusal !== null) return this.close(refusal.code, refusal.reason);
        if (!step.arbiter) continue;
        this.sendControl(this.#handshake.welcome());
        this.#becomeEstablished();
      } else this.#becomeEstablished();
    }
  }

  #becomeEstablished(): void {
    this.socket.maxPayload = this.#maxPayload;
    this.#pingInterval = setInterval(() => this.#ping(), this.timings.pingInterval);
    this.handler.established(this);
  }

  #ping(): void {
    // The peer may have started the closing handshake (socket CLOSING): no more pings then.
    if (!this.isEstablished || this.socket.readyState !== 1) return;
    const { seq, payload } = this.#pings.next(performance.now());
    this.socket.ping(payload);
    this.#after(this.timings.pingTimeout, () => {
      if (this.#pings.isOutstanding(seq)) this.destroy({ type: 'ping-timeout' });
    });
  }

  #onPong(payload: Buffer): void {
    const rtt = this.#pings.pong(payload, performance.now());
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

  #after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #stopTimers(): void {
    clearInterval(this.#pingInterval);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
