import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode } from '../protocol/constants.ts';
import { WsLimitError, WsProtocolError, WsStateError } from '../protocol/errors.ts';
import { type BinaryData, Protocol, type ProtocolHandler, type ProtocolOptions, type Role } from '../protocol/protocol.ts';
import { isSendableText } from '../protocol/utf8.ts';

/** The codec's options (role, maxPayload, autoPong, fragmentSize, generateMask, deflate) and the transport's. */
export interface WebSocketOptions extends ProtocolOptions {
  /** The subprotocol agreed in the handshake ('' for none). */
  protocol?: string;
  /** Bytes that arrived right after the handshake; they belong to the first frames. */
  head?: Buffer;
  /** How long to wait for the peer's part of the closing handshake, in ms. Default 5000. */
  closeTimeout?: number;
  /** `send()` returns false once this many bytes wait to be written. Default 1 MiB. */
  highWaterMark?: number;
  /** Hard limit of bytes waiting to be written; above it the peer is deemed not to read: close 1008. Default 64 MiB. */
  maxBufferedAmount?: number;
  url?: string;
}

export interface WebSocketEvents {
  open: [];
  message: [data: string | Buffer, isBinary: boolean];
  ping: [payload: Buffer];
  pong: [payload: Buffer];
  close: [code: number, reason: string, wasClean: boolean];
  error: [error: Error];
  drain: [];
}

export type ReadyState = 0 | 1 | 2 | 3;
const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;
const kOwner = Symbol('wsmesh.WebSocket');
type OwnedSocket = Duplex & { [kOwner]: WebSocket };
interface CodecEvents {
  ws: WebSocket;
}
const DEFAULT_CLOSE_TIMEOUT = 5000;
const EMPTY = Buffer.alloc(0);
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const DEFAULT_MAX_BUFFERED_AMOUNT = 64 * 1024 * 1024;

/**
 * One WebSocket connection in either role over an established stream (after the opening handshake).
 * The protocol itself lives in `Protocol`; this class moves its bytes and runs its timers.
 */
export class WebSocket extends EventEmitter<WebSocketEvents> {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readonly protocol: string;
  /** The agreed extensions as the server answered them (`Sec-WebSocket-Extensions`), '' for none. */
  readonly extensions: string;
  readonly url: string;
  readonly role: Role;
  #state: ReadyState = WebSocket.OPEN;
  readonly #codec: Protocol;
  readonly #closeTimeout: number;
  readonly #highWaterMark: number;
  readonly #maxBufferedAmount: number;
  readonly #autoPong: boolean;
  /** Payload of the latest ping whose pong waits for the send buffer to drain (RFC 6455 section 5.5.3). */
  #pendingPong: Buffer | null = null;
  #closeTimer: NodeJS.Timeout | undefined;
  #failure: WsProtocolError | WsLimitError | null = null;
  #needDrain = false;
  /** pause() was called (and no resume() since). */
  #paused = false;
  /** The 'data' listener is attached (reading starts one turn after construction). */
  #reading = false;
  readonly #socket: Duplex;

  constructor(socket: Duplex, options: WebSocketOptions) {
    super();
    this.#socket = socket;
    this.role = options.role;
    this.protocol = options.protocol ?? '';
    this.extensions = options.deflate?.agreement.header ?? '';
    this.url = options.url ?? '';
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#maxBufferedAmount = options.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT;
    this.#autoPong = options.autoPong ?? true;
    this.#codec = new Protocol(
      {
        role: options.role,
        maxPayload: options.maxPayload,
        autoPong: false,
        fragmentSize: options.fragmentSize,
        textAsBuffer: options.textAsBuffer,
        generateMask: options.generateMask,
        deflate: options.deflate,
      },
      Object.assign(Object.create(WebSocket.#codecEvents) as ProtocolHandler, { ws: this }),
    );
    (socket as OwnedSocket)[kOwner] = this;
    socket.on('close', WebSocket.#socketEvents.close);
    socket.on('error', WebSocket.#socketEvents.error);
    // A stream that is not half-open ends its writable side by itself when the peer ends (net sockets of a
    // standalone server and of connect()); a listener per connection is only needed for the others.
    if (socket.allowHalfOpen) socket.on('end', WebSocket.#socketEvents.end);
    socket.on('drain', WebSocket.#socketEvents.drain);
    // Reading starts after the current callbacks and promise continuations (e.g. `await connect()`) have
    // run, so listeners attached right after creation see every message, those in `head` included.
    socket.pause();
    setImmediate(WebSocket.#startReading, this, options.head);
  }

  // The codec's events and the socket's listeners are shared functions that find their connection through
  // `this`, so a connection costs one small object instead of a dozen closures (10,000 idle connections).
  static readonly #codecEvents = {
    write(this: CodecEvents, chunk: Buffer) {
      this.ws.#socket.write(chunk);
    },
    message(this: CodecEvents, data: string | Buffer, isBinary: boolean) {
      // A message inflated in the thread pool may finish after the connection closed.
      if (this.ws.#state !== WebSocket.CLOSED) this.ws.emit('message', data, isBinary);
    },
    ping(this: CodecEvents, payload: Buffer) {
      WebSocket.#onPing(this.ws, payload);
    },
    pong(this: CodecEvents, payload: Buffer) {
      this.ws.emit('pong', payload);
    },
    closeFrame(this: CodecEvents) {
      WebSocket.#onCloseFrame(this.ws);
    },
    protocolError(this: CodecEvents, error: WsProtocolError) {
      WebSocket.#onProtocolError(this.ws, error);
    },
    resume(this: CodecEvents) {
      if (!this.ws.#paused) this.ws.#socket.resume();
    },
  };

  static readonly #socketEvents = {
    close(this: OwnedSocket) {
      WebSocket.#onSocketClose(this[kOwner]);
    },
    error(this: OwnedSocket, error: Error) {
      WebSocket.#emitError(this[kOwner], error);
    },
    end(this: OwnedSocket) {
      this.end();
    },
    drain(this: OwnedSocket) {
      WebSocket.#onSocketDrain(this[kOwner]);
    },
    data(this: OwnedSocket, chunk: Buffer) {
      WebSocket.#receive(this[kOwner], chunk);
    },
  };

  static #startReading(ws: WebSocket, head: Buffer | undefined): void {
    if (ws.#state === WebSocket.CLOSED) return;
    ws.emit('open');
    if (head && head.length > 0) WebSocket.#receive(ws, head);
    ws.#socket.on('data', WebSocket.#socketEvents.data);
    ws.#reading = true;
    if (!ws.#codec.receivePaused && !ws.#paused) ws.#socket.resume();
  }

  /** Everything one chunk makes us send (pongs, echoes from listeners, close frames) leaves in one write. */
  static #receive(ws: WebSocket, chunk: Buffer): void {
    ws.#socket.cork();
    try {
      ws.#codec.receive(chunk);
    } finally {
      ws.#socket.uncork();
    }
    // A large compressed message is being inflated in the thread pool: read on once it is delivered.
    if (ws.#codec.receivePaused) ws.#socket.pause();
  }

  /**
   * Stops reading from the peer until `resume()`: messages of the data already read are still delivered, the
   * rest waits in the operating system's buffers (and the peer's sends slow down). Pongs and the closing
   * handshake wait too. No-op once CLOSED.
   */
  pause(): void {
    if (this.#state === WebSocket.CLOSED) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /** Reads again after `pause()`. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#reading && !this.#codec.receivePaused && this.#state !== WebSocket.CLOSED) this.#socket.resume();
  }

  /** Whether `pause()` stopped reading. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /** Largest message accepted (bytes); may be changed at any time, e.g. raised once the peer authenticated. */
  get maxPayload(): number {
    return this.#codec.maxPayload;
  }

  set maxPayload(bytes: number) {
    this.#codec.maxPayload = bytes;
  }

  get readyState(): ReadyState {
    return this.#state;
  }

  /** Bytes handed to `send()` (and control frames) that are not yet written to the operating system. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  get remoteAddress(): string | undefined {
    return (this.#socket as Partial<Socket>).remoteAddress;
  }

  get remotePort(): number | undefined {
    return (this.#socket as Partial<Socket>).remotePort;
  }

  /**
   * Sends a message: strings as text, bytes as binary (override with `binary`). Returns false when the
   * outgoing buffer is above the high-water mark; a 'drain' event follows. Nothing accepted is dropped.
   * Once the connection is CLOSING or CLOSED the message is discarded without throwing (as browsers and
   * `ws` do): send() returns false and `callback`, if given, gets a WsStateError on the next tick.
   * Otherwise `callback` is called without an argument once the message is written to the operating system.
   * Bytes sent as text must be UTF-8 (else TypeError); a text message received with `textAsBuffer` is known
   * valid and not checked again when sent from its own 'message' listener (or later, from 16 KiB up), so do not
   * modify it before sending it back as text.
   */
  send(data: string | BinaryData, options?: { binary?: boolean }, callback?: (error?: Error) => void): boolean {
    if (this.#state !== WebSocket.OPEN) {
      if (callback) process.nextTick(callback, WebSocket.#stateError(this, 'send a message'));
      return false;
    }
    const binary = options?.binary ?? typeof data !== 'string';
    if (typeof data === 'string') {
      if (binary) this.#codec.sendBinary(Buffer.from(data, 'utf8'));
      else this.#codec.sendText(data);
      if (callback) WebSocket.#whenWritten(this, callback);
      return WebSocket.#afterSend(this);
    }
    if (!binary && !isSendableText(data)) throw new TypeError('cannot send bytes as text: they are not valid UTF-8');
    // A large payload goes out as a header and the caller's bytes: corked, they leave in one writev.
    const corked = data.byteLength > 16 * 1024;
    if (corked) this.#socket.cork();
    try {
      if (binary) this.#codec.sendBinary(data);
      else this.#codec.sendTextBytes(data);
    } finally {
      if (corked) this.#socket.uncork();
    }
    if (callback) WebSocket.#whenWritten(this, callback);
    return WebSocket.#afterSend(this);
  }

  /** An empty write's callback runs once everything written before it has gone to the operating system. */
  static #whenWritten(ws: WebSocket, callback: (error?: Error) => void): void {
    ws.#socket.write(EMPTY, (error) => callback(error ?? undefined));
  }

  /** Sends a ping; discarded (no throw) once the connection is CLOSING or CLOSED. */
  ping(payload?: string | Uint8Array): void {
    if (this.#state === WebSocket.OPEN) this.#codec.sendPing(payload);
  }

  /** Sends an unsolicited pong; discarded (no throw) once the connection is CLOSING or CLOSED. */
  pong(payload?: string | Uint8Array): void {
    if (this.#state === WebSocket.OPEN) this.#codec.sendPong(payload);
  }

  /**
   * Starts the closing handshake (RFC 6455 section 7). Without a code the close frame has no payload.
   * Throws RangeError for a code that may not be sent or a reason over 123 bytes. Calling it again is a no-op.
   */
  close(code?: number, reason?: string): void {
    if (this.#state === WebSocket.CLOSED || this.#codec.closeSent) return;
    this.#codec.sendClose(code, reason);
    this.#state = WebSocket.CLOSING;
    WebSocket.#afterCloseFrame(this);
  }

  /** Destroys the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.#state === WebSocket.CLOSED) return;
    this.#state = WebSocket.CLOSING;
    this.#socket.destroy();
  }

  setNoDelay(noDelay = true): this {
    (this.#socket as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  static #stateError(ws: WebSocket, action: string): WsStateError {
    return new WsStateError(`cannot ${action}: the WebSocket is ${STATE_NAMES[ws.#state]}`);
  }

  /** Whether the send buffer is below the high-water mark; past the hard limit the connection is closed. */
  static #afterSend(ws: WebSocket): boolean {
    const buffered = ws.#socket.writableLength;
    if (buffered > ws.#maxBufferedAmount) {
      WebSocket.#failWithLimit(
        ws,
        `${buffered} bytes wait to be sent, over maxBufferedAmount of ${ws.#maxBufferedAmount}: the peer is not reading`,
      );
      return false;
    }
    if (buffered < Math.max(ws.#highWaterMark, ws.#socket.writableHighWaterMark)) return true;
    ws.#needDrain = true;
    return false;
  }

  static #failWithLimit(ws: WebSocket, message: string): void {
    const error = new WsLimitError(CloseCode.PolicyViolation, message);
    ws.#failure = error;
    WebSocket.#emitError(ws, error);
    // Failing (not just closing) stops the parser: messages still in the chunk being read are not delivered.
    ws.#codec.fail(CloseCode.PolicyViolation, 'send buffer limit exceeded');
    ws.#state = WebSocket.CLOSING;
    WebSocket.#afterCloseFrame(ws);
  }

  /** A ping flood from a peer that does not read our pongs must not grow the send buffer without bound. */
  static #onPing(ws: WebSocket, payload: Buffer): void {
    if (ws.#autoPong && !ws.#codec.closeSent) {
      if (ws.#socket.writableLength < Math.max(ws.#highWaterMark, ws.#socket.writableHighWaterMark)) {
        ws.#codec.sendPong(payload);
      } else {
        ws.#pendingPong = Buffer.from(payload);
        ws.#needDrain = true;
      }
    }
    ws.emit('ping', payload);
  }

  static #onSocketDrain(ws: WebSocket): void {
    if (!ws.#needDrain) return;
    ws.#needDrain = false;
    const pong = ws.#pendingPong;
    ws.#pendingPong = null;
    if (pong && !ws.#codec.closeSent) ws.#codec.sendPong(pong);
    if (ws.#state === WebSocket.OPEN) ws.emit('drain');
  }

  static #onCloseFrame(ws: WebSocket): void {
    ws.#state = WebSocket.CLOSING;
    WebSocket.#afterCloseFrame(ws);
  }

  static #onProtocolError(ws: WebSocket, error: WsProtocolError): void {
    ws.#failure = error;
    ws.#state = WebSocket.CLOSING;
    WebSocket.#emitError(ws, error);
    WebSocket.#afterCloseFrame(ws);
  }

  /** Once the handshake is over the server closes TCP first; the client waits for it (section 7.1.1). */
  static #afterCloseFrame(ws: WebSocket): void {
    if (ws.#codec.state === 'closed' && ws.role === 'server') ws.#socket.end();
    if (ws.#closeTimer === undefined) {
      ws.#closeTimer = setTimeout(() => ws.#socket.destroy(), ws.#closeTimeout);
    }
  }

  /** 'error' is emitted only to listeners: a misbehaving peer must not crash a process that ignores errors. */
  static #emitError(ws: WebSocket, error: Error): void {
    if (ws.#state !== WebSocket.CLOSED && ws.listenerCount('error') > 0) ws.emit('error', error);
  }

  static #onSocketClose(ws: WebSocket): void {
    if (ws.#state === WebSocket.CLOSED) return;
    clearTimeout(ws.#closeTimer);
    ws.#state = WebSocket.CLOSED;
    const received = ws.#codec.closeReceived;
    const failure = ws.#failure;
    const wasClean = failure === null && received !== null && ws.#codec.closeSent !== null;
    if (received) ws.emit('close', received.code, received.reason, wasClean);
    else if (failure) ws.emit('close', failure.code, failure.message, false);
    else ws.emit('close', CloseCode.Abnormal, '', false);
  }
}
