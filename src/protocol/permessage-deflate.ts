import { constants, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import type { ExtensionOffer } from '../handshake/extension-header.ts';
import { CloseCode } from './constants.ts';
import { WsProtocolError } from './errors.ts';
import type { Role } from './protocol.ts';

/**
 * permessage-deflate (RFC 7692) without context takeover in either direction: every message is
 * compressed on its own, so no per-connection zlib state is kept. Compression and the inflation of
 * messages up to SYNC_INFLATE_LIMIT bytes are synchronous; larger messages are inflated in Node's thread
 * pool (zlib's asynchronous API), at most INFLATE_CONCURRENCY at a time per process, so that a 16 MiB
 * message does not block the event loop for tens of milliseconds.
 */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

export interface DeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib compression level, 0-9. Default 1 (fast; LAN links are cheap, CPU is not). */
  level?: number;
}

/** What both sides agreed; visible on a connection as `ws.extensions`. */
export interface DeflateAgreement {
  /** The `Sec-WebSocket-Extensions` value of the server's answer. */
  header: string;
  /** Window bits the server compresses with (the client's compressor uses 15 unless told otherwise). */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Messages that inflate to at most this many bytes are inflated on the event loop (about 1 ms at worst). */
export const SYNC_INFLATE_LIMIT = 1024 * 1024;
/** Inflations running in the thread pool at once, over all connections (as in `ws`); more wait in turn. */
export const INFLATE_CONCURRENCY = 10;
const MAX_INFLATE_CHUNK = 16 * 1024 * 1024;
const WINDOW_BITS = /^(?:9|1[0-5])$/; // zlib cannot honour 8 for raw deflate (it silently uses 9)

/** The offer a client sends: no context takeover either way, so the server must agree to it. */
export const CLIENT_DEFLATE_OFFER = `${PERMESSAGE_DEFLATE}; server_no_context_takeover; client_no_context_takeover`;

/** The parameters of one permessage-deflate offer or answer (RFC 7692 section 7.1). */
interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  /** `true`: the client may be told a value; a number: the client's limit. */
  clientMaxWindowBits: number | true | null;
}

/** Reads and checks the parameters of an offer or an answer, the same for both sides; a string says what is wrong. */
function readDeflateParams(params: ExtensionOffer['params']): DeflateParams | string {
  const read: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return `parameter ${name} repeated`;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return `parameter ${name} must not have a value`;
      read[name === 'server_no_context_takeover' ? 'serverNoContextTakeover' : 'clientNoContextTakeover'] = true;
    } else if (name === 'server_max_window_bits') {
      if (value === true || !WINDOW_BITS.test(value)) return `invalid server_max_window_bits ${String(value)}`;
      read.serverMaxWindowBits = Number(value);
    } else if (name === 'client_max_window_bits') {
      if (value !== true && !WINDOW_BITS.test(value)) return `invalid client_max_window_bits ${value}`;
      read.clientMaxWindowBits = value === true ? true : Number(value);
    } else {
      return `parameter ${name} was not offered`;
    }
  }
  return read;
}

/** Server side: accepts the first permessage-deflate offer whose parameters are valid and can be honoured. */
export function acceptDeflateOffer(offers: readonly ExtensionOffer[]): DeflateAgreement | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const read = readDeflateParams(offer.params);
    // zlib cannot honour 8 server window bits for raw deflate (it silently uses 9): decline that offer.
    if (typeof read === 'string' || read.serverMaxWindowBits === 8) continue;
    const serverBits = read.serverMaxWindowBits;
    const header = CLIENT_DEFLATE_OFFER + (serverBits === null ? '' : `; server_max_window_bits=${serverBits}`);
    return { header, serverMaxWindowBits: serverBits ?? 15, clientMaxWindowBits: 15 };
  }
  return null;
}

/** Client side: checks the server's answer to CLIENT_DEFLATE_OFFER; returns why it is unacceptable, or the agreement. */
export function acceptDeflateAnswer(answer: ExtensionOffer, header: string): DeflateAgreement | string {
  if (answer.name !== PERMESSAGE_DEFLATE) return `server accepted extension "${answer.name}", which was not offered`;
  const read = readDeflateParams(answer.params);
  if (typeof read === 'string') return read;
  if (read.clientMaxWindowBits !== null) return 'parameter client_max_window_bits was not offered';
  if (!read.serverNoContextTakeover) return 'server_no_context_takeover was offered but not agreed';
  return { header, serverMaxWindowBits: read.serverMaxWindowBits ?? 15, clientMaxWindowBits: 15 };
}

/** Compression of whole messages for one connection, by its role and agreement. */
export class MessageDeflater {
  readonly threshold: number;
  private readonly level: number;
  private readonly windowBits: number;

  constructor(role: Role, agreement: DeflateAgreement, options: DeflateOptions = {}, private maxPayload: number) {
    this.threshold = options.threshold ?? 1024;
    this.level = options.level ?? 1;
    this.windowBits = role === 'server' ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
  }

  setMaxPayload(bytes: number): void {
    this.maxPayload = bytes;
  }

  compress(data: Uint8Array): Buffer {
    const output = deflateRawSync(data, {
      level: this.level,
      windowBits: this.windowBits,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    return output.subarray(0, output.length - TAIL.length);
  }

  /**
   * Inflates a message on the event loop if it inflates to at most `limit` bytes; output is capped while
   * inflating, so a zip bomb stops early (1009 past maxPayload). Returns null when the message is larger
   * than `limit` but may still fit maxPayload: then use decompressAsync. A compressed message of `limit`
   * bytes or more is not even tried here (it inflates to more than that).
   */
  decompressSync(data: Buffer, limit = SYNC_INFLATE_LIMIT): Buffer | null {
    const cap = Math.min(limit, this.maxPayload);
    if (data.length >= cap && cap < this.maxPayload) return null;
    try {
      return inflateRawSync(Buffer.concat([data, TAIL]), { windowBits: 15, maxOutputLength: cap, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (error) {
      if (cap < this.maxPayload && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw this.inflateError(error as Error);
    }
  }

  /**
   * Inflates a message in the thread pool (at most INFLATE_CONCURRENCY at once per process), capped at
   * maxPayload. The output goes into one buffer of up to 16 MiB, written in the thread pool: zlib's default
   * 16 KiB chunks would cost a thousand event-loop turns and a 16 MiB copy on the event loop at the end.
   */
  decompressAsync(data: Buffer, callback: (error: WsProtocolError | null, message: Buffer | null) => void): void {
    const maxOutputLength = this.maxPayload;
    const chunkSize = Math.max(64, Math.min(maxOutputLength, MAX_INFLATE_CHUNK));
    inflateLimiter.run((done) => {
      inflateRaw(Buffer.concat([data, TAIL]), { windowBits: 15, maxOutputLength, chunkSize, finishFlush: constants.Z_SYNC_FLUSH }, (error, message) => {
        done();
        if (error) callback(this.inflateError(error), null);
        // A message much smaller than its buffer gets one of its own size, so that it does not keep the rest.
        else callback(null, message.length * 4 < message.buffer.byteLength ? Buffer.from(message) : message);
      });
    });
  }

  private inflateError(error: Error): WsProtocolError {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return new WsProtocolError(CloseCode.MessageTooBig, `compressed message inflates beyond maxPayload of ${this.maxPayload} bytes`);
    }
    return new WsProtocolError(CloseCode.InvalidPayload, `cannot inflate message: ${error.message}`);
  }
}

/** Runs at most `concurrency` jobs at once; the others wait in order of arrival. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<(done: () => void) => void> = [];

  constructor(private readonly concurrency: number) {}

  run(job: (done: () => void) => void): void {
    this.waiting.push(job);
    this.next();
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running++;
      let finished = false;
      job(() => {
        if (finished) return;
        finished = true;
        this.running--;
        this.next();
      });
    }
  }
}

const inflateLimiter = new Limiter(INFLATE_CONCURRENCY);
