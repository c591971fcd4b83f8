import { isUtf8 } from 'node:buffer';
import {
  CloseCode,
  DEFAULT_MAX_PAYLOAD,
  FRAGMENT_COST,
  MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  isControlOpcode,
  isKnownOpcode,
} from './constants.ts';
import { type CloseInfo, encodeClosePayload, parseClosePayload } from './close-payload.ts';
import { WsProtocolError, WsStateError } from './errors.ts';
import { encodeFrame, encodeTextFrame } from './frame-encoder.ts';
import { type FrameHeader, FrameParser, type FrameSink } from './frame-parser.ts';
import { MaskKeySource } from './mask-keys.ts';
import { MessageAssembler } from './message-assembler.ts';
import { Utf8StreamValidator, deliverValidatedText, truncateUtf8 } from './utf8.ts';
import { type DeflateAgreement, type DeflateOptions, MessageDeflater } from './permessage-deflate.ts';

export type Role = 'client' | 'server';
export type ProtocolState = 'open' | 'closing' | 'closed';
export type BinaryData = Uint8Array | ArrayBuffer;

export interface ProtocolOptions {
  role: Role;
  /**
   * Largest message accepted, in bytes (all fragments together). Default 16 MiB. Larger: fail with 1009.
   * Each fragment of a fragmented message counts at least FRAGMENT_COST (64) bytes.
   */
  maxPayload?: number;
  /** Answer every ping with a pong carrying the same payload. Default true. */
  autoPong?: boolean;
  /** Split outgoing messages into frames of at most this many payload bytes. Default 0: never split. */
  fragmentSize?: number;
  /**
   * Deliver text messages as the validated UTF-8 bytes (a Buffer, with isBinary false) instead of a string.
   * For relays and echoes that never look inside: decoding non-ASCII text costs about 1 ns a byte. Default false.
   */
  textAsBuffer?: boolean;
  /** Source of client mask keys; default: crypto-random keys. For tests. */
  generateMask?: () => Uint8Array;
  /** permessage-deflate as agreed in the handshake; absent: no extension, RSV bits are errors. */
  deflate?: { agreement: DeflateAgreement; options?: DeflateOptions };
}

export interface ProtocolHandler {
  write(chunk: Buffer): void;
  message(data: string | Buffer, isBinary: boolean): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** The peer's close frame; code 1005 when it carried no status code. */
  closeFrame(code: number, reason: string): void;
  /** The peer broke the protocol; our close frame carrying `error.code` has already been written. */
  protocolError(error: WsProtocolError): void;
  /**
   * Optional: receiving may go on after `receivePaused` was true (a large message was being inflated in
   * the thread pool and has been delivered, with any complete messages that had arrived meanwhile).
   */
  resume?(): void;
}

/**
 * The WebSocket protocol of RFC 6455 for one connection, in either role, without any I/O: bytes go in
 * through `receive`, events and bytes to send come out through the handler.
 */
export class Protocol {
  readonly role: Role;
  #limit: number;
  readonly #autoPong: boolean;
  readonly #fragmentSize: number;
  readonly #textAsBuffer: boolean;
  readonly #masks: MaskKeySource | null;
  readonly #deflater: MessageDeflater | null;
  readonly #parser: FrameParser<Protocol>;
  /** Created with the first fragmented message: most connections never need them. */
  #utf8Stream: Utf8StreamValidator | null = null;
  #assembler: MessageAssembler | null = null;

  #sent: CloseInfo | null = null;
  #received: CloseInfo | null = null;
  #failed = false;
  /** A compressed message is being inflated in the thread pool; later frames wait in the parser. */
  #inflating = false;

  /** Opcode of the fragmented message being received, or 0 when none. */
  #messageOpcode = 0;
  /** The current frame's text payload arrived in pieces and was validated piece by piece. */
  #streamed = false;
  /** Bytes the fragments of that message so far count against maxPayload (see FRAGMENT_COST). */
  #charged = 0;
  #messageCompressed = false;

  readonly #handler: ProtocolHandler;

  constructor(options: ProtocolOptions, handler: ProtocolHandler) {
    this.role = options.role;
    this.#handler = handler;
    this.#limit = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#autoPong = options.autoPong ?? true;
    this.#fragmentSize = options.fragmentSize ?? 0;
    this.#textAsBuffer = options.textAsBuffer ?? false;
    this.#masks = this.role === 'client' ? new MaskKeySource(options.generateMask) : null;
    this.#deflater = options.deflate
      ? new MessageDeflater(this.role, options.deflate.agreement, options.deflate.options, this.#limit)
      : null;
    this.#parser = new FrameParser(this, Protocol.#sink);
  }

  /** Largest message accepted from now on; may be changed at any time (e.g. raised once a peer is trusted). */
  get maxPayload(): number {
    return this.#limit;
  }

  set maxPayload(bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`maxPayload must be a non-negative integer, got ${bytes}`);
    this.#limit = bytes;
    this.#deflater?.setMaxPayload(bytes);
  }

  get state(): ProtocolState {
    if (this.#failed || (this.#sent && this.#received)) return 'closed';
    return this.#sent || this.#received ? 'closing' : 'open';
  }

  get closeSent(): CloseInfo | null {
    return this.#sent;
  }

  get closeReceived(): CloseInfo | null {
    return this.#received;
  }

  /**
   * True while a large compressed message is inflated off the event loop: bytes given to `receive` are kept
   * (and parsed later, in order), so the caller should stop reading until the handler's `resume`.
   */
  get receivePaused(): boolean {
    return this.#inflating;
  }

  /** Feeds received bytes. Takes ownership of `chunk`: masked payloads are unmasked in place. */
  receive(chunk: Buffer): void {
    try {
      this.#parser.push(chunk);
    } catch (error) {
      if (!(error instanceof WsProtocolError)) throw error;
      Protocol.#failConnection(this, error.code, '', error);
    }
  }

  send(data: string | BinaryData): void {
    if (typeof data === 'string') this.sendText(data);
    else this.sendBinary(data);
  }

  sendText(text: string): void {
    Protocol.#assertCanSend(this, 'a message');
    const mayNeedFrames = this.#fragmentSize > 0 && text.length * 3 > this.#fragmentSize;
    const mayCompress = this.#deflater !== null && text.length * 3 >= this.#deflater.threshold;
    if (mayNeedFrames || mayCompress) Protocol.#sendMessage(this, Opcode.Text, Buffer.from(text, 'utf8'));
    else this.#handler.write(encodeTextFrame(text, this.#masks));
  }

  sendBinary(data: BinaryData): void {
    Protocol.#assertCanSend(this, 'a message');
    Protocol.#sendMessage(this, Opcode.Binary, toBuffer(data));
  }

  /** Sends bytes the caller knows to be UTF-8 as a text message, without decoding them. */
  sendTextBytes(data: BinaryData): void {
    Protocol.#assertCanSend(this, 'a message');
    Protocol.#sendMessage(this, Opcode.Text, toBuffer(data));
  }

  sendPing(payload: string | Uint8Array = ''): void {
    Protocol.#sendControl(this, Opcode.Ping, payload, 'a ping');
  }

  sendPong(payload: string | Uint8Array = ''): void {
    Protocol.#sendControl(this, Opcode.Pong, payload, 'a pong');
  }

  /** Starts (or answers) the closing handshake. No code: an empty close payload. */
  sendClose(code?: number, reason = ''): void {
    const payload = encodeClosePayload(code, reason);
    Protocol.#assertCanSend(this, 'a second close frame');
    Protocol.#writeClose(this, payload, { code: code ?? (reason ? CloseCode.Normal : CloseCode.NoStatus), reason });
  }

  /**
   * Fails the connection (RFC 6455 section 7.1.7): sends a close frame with `code` and `reason` unless one
   * was sent. Failures detected here send the code alone; the reason goes to the local error event.
   */
  fail(code: number, reason: string): void {
    Protocol.#failConnection(this, code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
  }

  static #failConnection(protocol: Protocol, code: number, reason: string, error?: WsProtocolError): void {
    if (protocol.#failed) return;
    const payload = encodeClosePayload(code, reason);
    protocol.#failed = true;
    protocol.#parser.stop();
    protocol.#assembler?.reset();
    if (!protocol.#sent) Protocol.#writeClose(protocol, payload, { code, reason });
    if (error) protocol.#handler.protocolError(error);
  }

  static #writeClose(protocol: Protocol, payload: Buffer, info: CloseInfo): void {
    protocol.#sent = info;
    for (const chunk of encodeFrame(Opcode.Close, payload, true, protocol.#masks)) protocol.#handler.write(chunk);
  }

  static #sendControl(protocol: Protocol, opcode: number, payload: string | Uint8Array, what: string): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    if (bytes.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`${what} payload is ${bytes.length} bytes; control frames carry at most 125`);
    }
    Protocol.#assertCanSend(protocol, what);
    for (const chunk of encodeFrame(opcode, bytes, true, protocol.#masks)) protocol.#handler.write(chunk);
  }

  /** Compresses (when agreed and large enough) and splits into frames (when fragmentSize asks for it). */
  static #sendMessage(protocol: Protocol, opcode: number, data: Buffer): void {
    const compressed = protocol.#deflater !== null && data.length >= protocol.#deflater.threshold;
    if (compressed) data = protocol.#deflater!.compress(data);
    const size = protocol.#fragmentSize;
    if (size <= 0 || data.length <= size) {
      for (const chunk of encodeFrame(opcode, data, true, protocol.#masks, compressed)) protocol.#handler.write(chunk);
      return;
    }
    for (let offset = 0; offset < data.length; offset += size) {
      const end = Math.min(offset + size, data.length);
      const first = offset === 0;
      const frame = encodeFrame(first ? opcode : Opcode.Continuation, data.subarray(offset, end), end === data.length, protocol.#masks, first && compressed);
      for (const chunk of frame) protocol.#handler.write(chunk);
    }
  }

  static #assertCanSend(protocol: Protocol, what: string): void {
    if (protocol.#sent) throw new WsStateError(`cannot send ${what}: the close frame was already sent`);
    if (protocol.#failed) throw new WsStateError(`cannot send ${what}: the connection has failed`);
  }

  /**
   * The parser's calls. Like every other internal they are static `#private` methods taking the connection, so
   * nobody holding a Protocol (or a WebSocket) can feed it frames at run time. Static, not instance `#methods`:
   * those cost every instance a brand field; these cost nothing per connection but the parser's `owner` field.
   */
  static readonly #sink: FrameSink<Protocol> = {
    frameHeader: Protocol.#frameHeader,
    partialPayload: Protocol.#partialPayload,
    frame: Protocol.#frame,
  };

  /** The parser's call once a header is complete. */
  static #frameHeader(protocol: Protocol, header: FrameHeader): void {
    const { opcode, payloadLength } = header;
    if (header.rsv !== 0) Protocol.#checkReservedBits(protocol, header);
    if (!isKnownOpcode(opcode)) throw protocolError(`reserved opcode 0x${opcode.toString(16)}`);
    if (protocol.role === 'server' && !header.masked) throw protocolError('a client frame must be masked');
    if (protocol.role === 'client' && header.masked) throw protocolError('a server frame must not be masked');
    if (isControlOpcode(opcode)) {
      if (!header.fin) throw protocolError('control frames must not be fragmented');
      if (payloadLength > MAX_CONTROL_PAYLOAD) {
        throw protocolError(`control frame payload of ${payloadLength} bytes exceeds 125`);
      }
      return;
    }
    if (opcode === Opcode.Continuation) {
      if (protocol.#messageOpcode === 0) throw protocolError('continuation frame without a message to continue');
    } else if (protocol.#messageOpcode !== 0) {
      throw protocolError('new data frame while a fragmented message is unfinished');
    }
    if (header.fin && opcode !== Opcode.Continuation) {
      if (payloadLength > protocol.#limit) throw Protocol.#tooBig(protocol, payloadLength, payloadLength);
      return;
    }
    // A fragmented message is charged at least FRAGMENT_COST bytes per fragment: a flood of tiny fragments
    // costs a frame's work each, so it ends with 1009 instead of holding the CPU (issue 11).
    const total = protocol.#charged + Math.max(payloadLength, FRAGMENT_COST);
    if (total > protocol.#limit) throw Protocol.#tooBig(protocol, (protocol.#assembler?.byteLength ?? 0) + payloadLength, total);
    protocol.#charged = header.fin ? 0 : total;
  }

  static #tooBig(protocol: Protocol, bytes: number, charged: number): WsProtocolError {
    return new WsProtocolError(
      CloseCode.MessageTooBig,
      bytes === charged
        ? `message of ${bytes} bytes or more exceeds maxPayload of ${protocol.#limit} bytes`
        : `message of ${bytes} bytes in fragments counted as ${charged} bytes (each fragment counts at least ${FRAGMENT_COST}) exceeds maxPayload of ${protocol.#limit} bytes`,
    );
  }

  /** RSV1 marks a compressed message, on its first frame only, once permessage-deflate is agreed. */
  static #checkReservedBits(protocol: Protocol, header: FrameHeader): void {
    const firstOfMessage = header.opcode === Opcode.Text || header.opcode === Opcode.Binary;
    if (header.rsv === 0b100 && protocol.#deflater !== null && firstOfMessage) return;
    const bits = `RSV bits 0b${header.rsv.toString(2).padStart(3, '0')}`;
    if (protocol.#deflater === null || (header.rsv & 0b011) !== 0) throw protocolError(`${bits} set without a negotiated extension`);
    throw protocolError(`${bits} set on a ${isControlOpcode(header.opcode) ? 'control' : 'continuation'} frame`);
  }

  /**
   * The parser's call with a piece of a payload arriving over several reads. Uncompressed text is validated as it
   * arrives, so an invalid sequence fails the connection (1007) at once, not when the frame is complete.
   */
  static #partialPayload(protocol: Protocol, header: FrameHeader, piece: Buffer): void {
    if (header.rsv !== 0) return;
    const text = header.opcode === Opcode.Text || (header.opcode === Opcode.Continuation && protocol.#messageOpcode === Opcode.Text && !protocol.#messageCompressed);
    if (!text) return;
    protocol.#streamed = true;
    if (!(protocol.#utf8Stream ??= new Utf8StreamValidator()).push(piece)) {
      throw new WsProtocolError(CloseCode.InvalidPayload, 'text message is not valid UTF-8');
    }
  }

  /** The parser's call with a whole, unmasked frame. */
  static #frame(protocol: Protocol, header: FrameHeader, payload: Buffer): void {
    switch (header.opcode) {
      case Opcode.Ping:
        if (protocol.#autoPong && !protocol.#sent) protocol.sendPong(payload);
        protocol.#handler.ping(payload);
        return;
      case Opcode.Pong:
        protocol.#handler.pong(payload);
        return;
      case Opcode.Close:
        Protocol.#handleClose(protocol, payload);
        return;
    }
    const compressed = header.rsv !== 0;
    if (header.fin && protocol.#messageOpcode === 0 && !compressed && !protocol.#streamed) {
      Protocol.#deliver(protocol, header.opcode, payload);
      return;
    }
    const streamed = protocol.#streamed;
    protocol.#streamed = false;
    if (header.fin && protocol.#messageOpcode === 0) {
      if (streamed) Protocol.#deliverStreamedText(protocol, payload);
      else Protocol.#inflate(protocol, header.opcode, payload);
      return;
    }
    if (protocol.#messageOpcode === 0) {
      protocol.#messageOpcode = header.opcode;
      protocol.#messageCompressed = compressed;
    }
    // Compressed text is validated once inflated; plain text fails on the fragment that breaks it.
    const utf8 = (protocol.#utf8Stream ??= new Utf8StreamValidator());
    if (protocol.#messageOpcode === Opcode.Text && !protocol.#messageCompressed && !streamed && !utf8.push(payload)) {
      throw new WsProtocolError(CloseCode.InvalidPayload, 'text message is not valid UTF-8');
    }
    const assembler = (protocol.#assembler ??= new MessageAssembler());
    assembler.append(payload);
    if (!header.fin) return;
    const opcode = protocol.#messageOpcode;
    const data = assembler.take();
    protocol.#messageOpcode = 0;
    if (protocol.#messageCompressed) {
      Protocol.#inflate(protocol, opcode, data);
      return;
    }
    if (opcode === Opcode.Binary) protocol.#handler.message(data, true);
    else Protocol.#deliverStreamedText(protocol, data);
  }

  /** Delivers text whose bytes went through the streaming validator; fails if it ends inside a character. */
  static #deliverStreamedText(protocol: Protocol, data: Buffer): void {
    if (!protocol.#utf8Stream!.end()) {
      throw new WsProtocolError(CloseCode.InvalidPayload, 'text message ends inside a UTF-8 sequence');
    }
    Protocol.#deliverText(protocol, data);
  }

  /** Validated text, as a string or (textAsBuffer) as the bytes, remembered as valid for sending back. */
  static #deliverText(protocol: Protocol, data: Buffer): void {
    if (!protocol.#textAsBuffer) {
      protocol.#handler.message(data.toString('utf8'), false);
      return;
    }
    deliverValidatedText<Buffer>(protocol.#handler, data);
  }

  /** Inflates on the event loop when the message is small, else in the thread pool with the parser paused. */
  static #inflate(protocol: Protocol, opcode: number, data: Buffer): void {
    const message = protocol.#deflater!.decompressSync(data);
    if (message !== null) {
      Protocol.#deliver(protocol, opcode, message);
      return;
    }
    protocol.#inflating = true;
    protocol.#parser.pause();
    protocol.#deflater!.decompressAsync(data, (error, inflated) => Protocol.#inflated(protocol, opcode, error, inflated));
  }

  static #inflated(protocol: Protocol, opcode: number, error: WsProtocolError | null, message: Buffer | null): void {
    protocol.#inflating = false;
    if (!protocol.#failed) {
      try {
        if (error) throw error;
        Protocol.#deliver(protocol, opcode, message!);
        protocol.#parser.resume();
      } catch (thrown) {
        if (!(thrown instanceof WsProtocolError)) throw thrown;
        Protocol.#failConnection(protocol, thrown.code, '', thrown);
      }
    }
    if (!protocol.#inflating) protocol.#handler.resume?.();
  }

  static #deliver(protocol: Protocol, opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Binary) {
      protocol.#handler.message(payload, true);
      return;
    }
    if (!isUtf8(payload)) throw new WsProtocolError(CloseCode.InvalidPayload, 'text message is not valid UTF-8');
    Protocol.#deliverText(protocol, payload);
  }

  static #handleClose(protocol: Protocol, payload: Buffer): void {
    const info = parseClosePayload(payload);
    protocol.#received = info;
    protocol.#parser.stop();
    protocol.#assembler?.reset();
    if (!protocol.#sent) {
      // Echo code and reason, as browsers and most servers do (RFC 6455 section 5.5.1 allows either).
      const echo = info.code === CloseCode.NoStatus ? undefined : info.code;
      Protocol.#writeClose(protocol, encodeClosePayload(echo, info.reason), { code: info.code, reason: info.reason });
    }
    protocol.#handler.closeFrame(info.code, info.reason);
  }
}

function protocolError(message: string): WsProtocolError {
  return new WsProtocolError(CloseCode.ProtocolError, message);
}

function toBuffer(data: BinaryData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
