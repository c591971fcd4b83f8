import { WsHandshakeError } from '../protocol/errors.ts';
import { computeAcceptKey, isValidKey } from './accept-key.ts';
import { HeaderFields, isToken } from './header-fields.ts';
import { quote, type HttpRequestHead } from './http-head-parser.ts';
import { parseExtensions } from './extension-header.ts';
import { type DeflateAgreement, acceptDeflateOffer } from '../protocol/permessage-deflate.ts';

/** What the server needs of an HTTP request: from our own parser, or from Node's IncomingMessage (adapted in src/transport/incoming-message.ts). */
export type HandshakeRequest = HttpRequestHead;

export interface ServerHandshakeOptions {
  /**
   * Picks the subprotocol from the client's offer (in the client's order). Return undefined to answer
   * without `Sec-WebSocket-Protocol`. Returning a protocol that was not offered is a server bug: 500.
   */
  selectProtocol?: (offered: readonly string[], request: HandshakeRequest) => string | undefined;
  /** Return false to refuse the handshake with 403. `origin` is undefined when the client sent none. */
  verifyOrigin?: (origin: string | undefined, request: HandshakeRequest) => boolean;
  /** Accept a permessage-deflate offer (answered without context takeover). Default false: decline. */
  perMessageDeflate?: boolean;
}

export type ServerHandshakeOutcome =
  | { accepted: true; response: Buffer; protocol: string; offeredProtocols: string[]; deflate: DeflateAgreement | null }
  | { accepted: false; response: Buffer; error: WsHandshakeError };

const SUPPORTED_VERSION = '13';
const HOST_VALUE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(:\d*)?$/;
const ABSOLUTE_FORM = /^(https?|wss?):\/\//i;

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** Headers that RFC 9110 requires with some statuses (405: Allow; 426: Upgrade + Connection option). */
function headersRequiredWith(status: number): string[] {
  if (status === 405) return ['Allow: GET'];
  if (status === 426) return ['Upgrade: websocket', `Sec-WebSocket-Version: ${SUPPORTED_VERSION}`];
  return [];
}

/**
 * A complete error response that ends the connection: status line, `Connection: close`, a plain-text
 * body naming the problem (the message is the body, so it must not contain secrets).
 */
export function errorResponse(status: number, message: string): Buffer {
  const reason = REASON_PHRASES[status] ?? 'Error';
  const body = Buffer.from(`${message}\n`, 'utf8');
  const lines = [
    `HTTP/1.1 ${status} ${reason}`,
    status === 426 ? 'Connection: Upgrade, close' : 'Connection: close',
    ...headersRequiredWith(status),
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** A refused handshake: the error to report and the matching response bytes. */
export function rejection(status: number, message: string): ServerHandshakeOutcome & { accepted: false } {
  return { accepted: false, response: errorResponse(status, message), error: new WsHandshakeError(message, status) };
}

/** The part of every 101 response before the accept value, encoded once. */
const SWITCHING_PROTOCOLS_PREFIX = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ',
  'latin1',
);
/** Length of a `Sec-WebSocket-Accept` value: base64 of a 20-byte SHA-1. */
const ACCEPT_LENGTH = 28;

/** The `101 Switching Protocols` response for a validated key: the cached prefix, the accept value, the rest. */
export function switchingProtocolsResponse(key: string, protocol: string, extensions = ''): Buffer {
  let tail = '\r\n';
  if (protocol !== '') tail += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensions !== '') tail += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  tail += '\r\n';
  const prefixLength = SWITCHING_PROTOCOLS_PREFIX.length;
  const response = Buffer.allocUnsafe(prefixLength + ACCEPT_LENGTH + tail.length);
  SWITCHING_PROTOCOLS_PREFIX.copy(response, 0);
  response.write(computeAcceptKey(key), prefixLength, ACCEPT_LENGTH, 'latin1');
  response.write(tail, prefixLength + ACCEPT_LENGTH, 'latin1');
  return response;
}

/** The path of a plain HTTP request's target (`/a?b` -> `/a`); a target of another form is returned as it is. */
export function requestPath(target: string | undefined): string {
  return targetPath(target ?? '/') ?? target ?? '/';
}

/** The path of a request-target (origin-form `/a?b` or absolute-form `ws://h/a?b`), or null when neither. */
export function targetPath(target: string): string | null {
  if (target.startsWith('/')) {
    const query = target.indexOf('?');
    return query === -1 ? target : target.slice(0, query);
  }
  if (!ABSOLUTE_FORM.test(target)) return null;
  try {
    return new URL(target).pathname;
  } catch {
    return null;
  }
}

/** Major and minor of a `major.minor` version string; '1.1' (nearly every request) without parsing. */
function httpVersionNumbers(version: string): [number, number] {
  if (version === '1.1') return HTTP_1_1;
  const dot = version.indexOf('.');
  return dot === -1 ? [Number(version), NaN] : [Number(version.slice(0, dot)), Number(version.slice(dot + 1))];
}
const HTTP_1_1: [number, number] = [1, 1];

/** The checks of RFC 6455 section 4.2.1 that do not involve the application; null when all pass. */
function checkRequest(request: HandshakeRequest): ServerHandshakeOutcome | null {
  const { headers } = request;
  if (request.method !== 'GET') return rejection(405, `WebSocket handshake must use GET, got ${quote(request.method)}`);
  const [major, minor] = httpVersionNumbers(request.httpVersion);
  if (major !== 1) return rejection(505, `WebSocket handshake needs HTTP/1.1, got HTTP/${request.httpVersion}`);
  if (minor < 1) return rejection(400, `WebSocket handshake needs HTTP/1.1 or higher, got HTTP/${request.httpVersion}`);
  if (targetPath(request.target) === null) return rejection(400, `request target must be a path: ${quote(request.target)}`);
  if (headers.count('host') !== 1) {
    return rejection(400, headers.has('host') ? 'more than one Host header' : 'missing Host header');
  }
  if (!HOST_VALUE.test(headers.get('host')!)) return rejection(400, `invalid Host header: ${quote(headers.get('host')!)}`);
  if (headers.has('transfer-encoding') || (headers.has('content-length') && headers.get('content-length') !== '0')) {
    return rejection(400, 'a WebSocket handshake request must not have a body');
  }
  if (!headers.hasToken('upgrade', 'websocket')) {
    return rejection(426, `Upgrade header must contain the token "websocket", got ${quote(headers.get('upgrade') ?? '(none)')}`);
  }
  if (!headers.hasToken('connection', 'upgrade')) {
    return rejection(426, `Connection header must contain the token "Upgrade", got ${quote(headers.get('connection') ?? '(none)')}`);
  }
  if (headers.count('sec-websocket-version') !== 1 || headers.get('sec-websocket-version') !== SUPPORTED_VERSION) {
    const got = headers.get('sec-websocket-version') ?? '(none)';
    return rejection(426, `Sec-WebSocket-Version must be ${SUPPORTED_VERSION}, got ${quote(got)}`);
  }
  if (headers.count('sec-websocket-key') !== 1) {
    return rejection(400, headers.has('sec-websocket-key') ? 'more than one Sec-WebSocket-Key header' : 'missing Sec-WebSocket-Key header');
  }
  if (!isValidKey(headers.get('sec-websocket-key')!)) {
    return rejection(400, `Sec-WebSocket-Key must be base64 of 16 bytes, got ${quote(headers.get('sec-websocket-key')!)}`);
  }
  const invalidProtocol = headers.list('sec-websocket-protocol').find((protocol) => !isToken(protocol));
  if (invalidProtocol !== undefined) return rejection(400, `invalid subprotocol name ${quote(invalidProtocol)}`);
  return null;
}

/** Runs an application hook; a hook that throws refuses the handshake with 500 instead of crashing. */
function runHook<T>(name: string, hook: () => T): { value: T } | { failure: ServerHandshakeOutcome } {
  try {
    return { value: hook() };
  } catch (error) {
    return { failure: rejection(500, `${name} threw: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

/**
 * Validates an opening handshake request (RFC 6455 section 4.2.1) and produces the exact response
 * bytes: `101 Switching Protocols`, or an error response that ends the connection. Extensions are
 * declined, except permessage-deflate when `perMessageDeflate` is set. When the client offered subprotocols
 * and none is acceptable, the answer has no `Sec-WebSocket-Protocol` (the client may then give up).
 */
export function answerHandshake(request: HandshakeRequest, options: ServerHandshakeOptions = {}): ServerHandshakeOutcome {
  const refused = checkRequest(request);
  if (refused) return refused;
  const { headers } = request;
  if (options.verifyOrigin) {
    const origin = headers.get('origin');
    const verdict = runHook('verifyOrigin', () => options.verifyOrigin!(origin, request));
    if ('failure' in verdict) return verdict.failure;
    if (verdict.value !== true) return rejection(403, `origin ${quote(origin ?? '(none)')} is not allowed`);
  }
  const offeredProtocols = headers.list('sec-websocket-protocol');
  let protocol = '';
  if (offeredProtocols.length > 0 && options.selectProtocol) {
    const choice = runHook('selectProtocol', () => options.selectProtocol!(offeredProtocols, request));
    if ('failure' in choice) return choice.failure;
    protocol = choice.value || '';
    if (protocol !== '' && !offeredProtocols.includes(protocol)) {
      return rejection(500, `server chose subprotocol ${quote(String(protocol))}, which the client did not offer`);
    }
  }
  const key = headers.get('sec-websocket-key')!;
  const offers = options.perMessageDeflate ? parseExtensions(headers.list('sec-websocket-extensions')) : null;
  const deflate = offers ? acceptDeflateOffer(offers) : null;
  const response = switchingProtocolsResponse(key, protocol, deflate?.header);
  return { accepted: true, response, protocol, offeredProtocols, deflate };
}

/** A selectProtocol that takes the first of `preference` (server's order) that the client offered. */
export function preferProtocols(preference: readonly string[]): (offered: readonly string[]) => string | undefined {
  return (offered) => preference.find((protocol) => offered.includes(protocol));
}
