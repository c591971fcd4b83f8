import { WsHandshakeError, WsStateError } from '../protocol/errors.ts';
import { HeaderFields } from './header-fields.ts';

/** Default limit for an HTTP head (start line + header fields + the empty line), in bytes. */
export const DEFAULT_MAX_HEAD_SIZE = 16 * 1024;

export interface HttpRequestHead {
  method: string;
  /** The request-target as sent, e.g. `/chat?room=1`. */
  target: string;
  /** `major.minor`, e.g. `1.1`. */
  httpVersion: string;
  headers: HeaderFields;
}

export interface HttpResponseHead {
  /** The status line as received, for error messages. */
  statusLine: string;
  httpVersion: string;
  status: number;
  reason: string;
  headers: HeaderFields;
}

/** A complete head and the bytes that followed its empty line (for WebSocket: frame bytes). */
export interface ParsedHead<Head> {
  head: Head;
  rest: Buffer;
}

const INITIAL_HEAD_BUFFER = 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const REQUEST_LINE = new RegExp(`^(${TOKEN}) ([\\x21-\\x7e]+) HTTP/(\\d)\\.(\\d)$`);
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const FIELD_NAME = new RegExp(`^${TOKEN}$`);
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function badHead(message: string): WsHandshakeError {
  return new WsHandshakeError(message, 400);
}

/**
 * Collects bytes up to and including the CRLF CRLF that ends an HTTP head, from chunks split
 * anywhere. Lines must end with CRLF (a bare CR or LF is refused at once instead of waiting);
 * empty lines before the start line are skipped (RFC 9112 section 2.2) but count towards the limit.
 */
class HeadCollector {
  /** Grows (doubling, up to the limit) as the head arrives: a slow client costs what it sent, not the limit. */
  #buffer: Buffer | null = null;
  readonly #maxSize: number;
  #filled = 0;
  #consumed = 0;
  /** How much of CR LF CR LF the last bytes matched; while nothing started, leading CRLFs are skipped. */
  #matched = 0;
  #started = false;
  #skippingLeadingCr = false;
  #done = false;

  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 16) throw new RangeError(`maxHeadSize must be an integer >= 16, got ${maxSize}`);
    this.#maxSize = maxSize;
  }

  /** The head's text without the final CRLF CRLF, and the bytes after it; null while incomplete. */
  push(chunk: Uint8Array): { text: string; rest: Buffer } | null {
    if (this.#done) throw new WsStateError('the HTTP head is already complete');
    if (this.#consumed === 0) {
      const whole = this.#wholeHead(chunk);
      if (whole !== null) return whole;
    }
    for (let index = 0; index < chunk.length; index++) {
      if (this.#consumed === this.#maxSize) {
        throw new WsHandshakeError(`HTTP head is larger than the limit of ${this.#maxSize} bytes`, 431);
      }
      this.#consumed++;
      const byte = chunk[index];
      if (!this.#started && this.#skipLeadingEmptyLine(byte)) continue;
      this.#started = true;
      const buffer = this.#buffer !== null && this.#filled < this.#buffer.length ? this.#buffer : this.#grow();
      buffer[this.#filled++] = byte;
      if (this.#advanceTerminator(byte)) {
        this.#done = true;
        const text = buffer.toString('latin1', 0, this.#filled - 4);
        const rest = Buffer.from(chunk.buffer, chunk.byteOffset + index + 1, chunk.length - index - 1);
        return { text, rest };
      }
    }
    return null;
  }

  /**
   * Fast path for the usual case, a whole head in the first chunk: no leading empty line, within the limit,
   * every CR followed by LF and every LF preceded by CR. Reads it without copying it into the collector's
   * buffer; anything else (including every error) goes through the byte loop, which reports it.
   */
  #wholeHead(chunk: Uint8Array): { text: string; rest: Buffer } | null {
    if (chunk.length === 0 || chunk[0] === CR || chunk[0] === LF) return null;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const end = bytes.indexOf(HEAD_END);
    if (end === -1 || end + 4 > this.#maxSize) return null;
    for (let index = 0; index < end; index++) {
      const byte = bytes[index];
      if (byte === CR) {
        if (bytes[++index] !== LF) return null;
      } else if (byte === LF) {
        return null;
      }
    }
    this.#done = true;
    this.#consumed = end + 4;
    return { text: bytes.toString('latin1', 0, end), rest: bytes.subarray(end + 4) };
  }

  /** Allocates the buffer (first byte of a head the fast path did not take) or doubles it. */
  #grow(): Buffer {
    const old = this.#buffer;
    const grown = Buffer.allocUnsafe(old === null ? Math.min(INITIAL_HEAD_BUFFER, this.#maxSize) : Math.min(2 * old.length, this.#maxSize));
    old?.copy(grown, 0, 0, this.#filled);
    return (this.#buffer = grown);
  }

  #skipLeadingEmptyLine(byte: number): boolean {
    if (this.#skippingLeadingCr) {
      if (byte !== LF) throw badHead('bare CR in HTTP head (lines must end with CRLF)');
      this.#skippingLeadingCr = false;
      return true;
    }
    if (byte === CR) {
      this.#skippingLeadingCr = true;
      return true;
    }
    return false;
  }

  /** Returns true when the byte completes CR LF CR LF. */
  #advanceTerminator(byte: number): boolean {
    if (this.#matched === 1 || this.#matched === 3) {
      if (byte !== LF) throw badHead('bare CR in HTTP head (lines must end with CRLF)');
      this.#matched++;
      return this.#matched === 4;
    }
    if (byte === CR) this.#matched = this.#matched === 2 ? 3 : 1;
    else if (byte === LF) throw badHead('bare LF in HTTP head (lines must end with CRLF)');
    else this.#matched = 0;
    return false;
  }
}

/** The header field lines of `text` from `start` (after the start line's CRLF), without splitting into an array. */
function parseFieldLines(text: string, start: number): HeaderFields {
  const headers = new HeaderFields();
  for (let lineStart = start; lineStart < text.length; ) {
    let lineEnd = text.indexOf('\r\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    lineStart = lineEnd + 2;
    if (line.startsWith(' ') || line.startsWith('\t')) throw badHead('obsolete line folding in HTTP header fields');
    const colon = line.indexOf(':');
    if (colon === -1) throw badHead(`header line without a colon: ${quote(line)}`);
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name)) {
      if (/[ \t]$/.test(name)) throw badHead(`whitespace before the colon in header line: ${quote(line)}`);
      throw badHead(`invalid header name in line: ${quote(line)}`);
    }
    const value = trimWhitespace(line, colon + 1);
    if (!FIELD_VALUE.test(value)) throw badHead(`control character in the value of header ${name}`);
    headers.append(name, value);
  }
  return headers;
}

/**
 * `line` from `start` without leading and trailing spaces and tabs (RFC 9110 OWS). A loop, not a regular
 * expression: patterns like /[ \t]*$/ backtrack quadratically over a long run of inner whitespace.
 */
function trimWhitespace(line: string, start: number): string {
  let end = line.length;
  while (start < end && (line[start] === ' ' || line[start] === '\t')) start++;
  while (end > start && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return line.slice(start, end);
}

/** The first line of a head's text. */
function startLine(text: string): string {
  const end = text.indexOf('\r\n');
  return end === -1 ? text : text.slice(0, end);
}

/** A line for an error message: at most 100 characters, control characters escaped. */
export function quote(line: string): string {
  const shown = line.length > 100 ? `${line.slice(0, 100)}...` : line;
  return JSON.stringify(shown);
}

/** Incremental parser for an HTTP/1.x request head (the server's side of the opening handshake). */
export class HttpRequestParser {
  readonly #collector: HeadCollector;

  constructor(maxHeadSize = DEFAULT_MAX_HEAD_SIZE) {
    this.#collector = new HeadCollector(maxHeadSize);
  }

  /**
   * Feed the next chunk. Returns the head and the bytes after it once complete, null while more is
   * needed. Throws WsHandshakeError with status 400 (malformed) or 431 (head over the limit).
   */
  push(chunk: Uint8Array): ParsedHead<HttpRequestHead> | null {
    const collected = this.#collector.push(chunk);
    if (!collected) return null;
    const { text } = collected;
    const requestLine = startLine(text);
    const match = REQUEST_LINE.exec(requestLine);
    if (!match) throw badHead(`malformed HTTP request line: ${quote(requestLine)}`);
    const [, method, target, major, minor] = match;
    return {
      head: { method, target, httpVersion: `${major}.${minor}`, headers: parseFieldLines(text, requestLine.length + 2) },
      rest: collected.rest,
    };
  }
}

/** Incremental parser for an HTTP/1.x response head (the client's side of the opening handshake). */
export class HttpResponseParser {
  readonly #collector: HeadCollector;

  constructor(maxHeadSize = DEFAULT_MAX_HEAD_SIZE) {
    this.#collector = new HeadCollector(maxHeadSize);
  }

  /** As HttpRequestParser.push, for a status line instead of a request line. */
  push(chunk: Uint8Array): ParsedHead<HttpResponseHead> | null {
    const collected = this.#collector.push(chunk);
    if (!collected) return null;
    const { text } = collected;
    const statusLine = startLine(text);
    const match = STATUS_LINE.exec(statusLine);
    if (!match) throw badHead(`malformed HTTP status line: ${quote(statusLine)}`);
    const [, major, minor, status, reason] = match;
    return {
      head: {
        statusLine,
        httpVersion: `${major}.${minor}`,
        status: Number(status),
        reason: reason ?? '',
        headers: parseFieldLines(text, statusLine.length + 2),
      },
      rest: collected.rest,
    };
  }
}
