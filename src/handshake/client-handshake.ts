import { WsHandshakeError } from '../protocol/errors.ts';
import { computeAcceptKey, generateKey } from './accept-key.ts';
import { isToken } from './header-fields.ts';
import { quote, type HttpResponseHead } from './http-head-parser.ts';
import { parseExtensions } from './extension-header.ts';
import { CLIENT_DEFLATE_OFFER, type DeflateAgreement, acceptDeflateAnswer } from '../protocol/permessage-deflate.ts';

/** A parsed `ws:` / `wss:` URL, ready for dialing and for the request. */
export interface WsUrl {
  href: string;
  secure: boolean;
  /** What to dial: a host name, an IPv4 address, or an IPv6 address without brackets. */
  host: string;
  port: number;
  /** The Host header: host, `:port` unless it is the default, IPv6 in brackets (`[::1]:8080`). */
  hostHeader: string;
  /** Path and query sent in the request line, e.g. `/chat?room=1`. */
  resource: string;
  /** `user:password` from the URL (percent-decoded), sent as Basic authorization; undefined when absent. */
  credentials?: string;
}

export interface ClientRequestOptions {
  /** Subprotocols to offer, in order of preference. Tokens, each unique. */
  protocols?: readonly string[];
  /** Sent as the Origin header (browsers always send one; other clients usually do not). */
  origin?: string;
  /** Extra request headers. Host, Origin and Authorization replace the defaults; handshake headers are refused. */
  headers?: Readonly<Record<string, string>>;
  /** The Sec-WebSocket-Key; default a fresh random one (tests may fix it). */
  key?: string;
  /** Offer permessage-deflate (without context takeover). Default false. */
  perMessageDeflate?: boolean;
}

export interface ClientRequest {
  bytes: Buffer;
  key: string;
  protocols: readonly string[];
  deflateOffered?: boolean;
}

/** Headers that carry the handshake itself; `headers` may not set them. */
const MANAGED_HEADERS = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Parses and checks a WebSocket URL (RFC 6455 section 3). Throws WsHandshakeError naming the problem. */
/** `[fe80::1%25eth0]`: an IPv6 literal with a zone (RFC 6874), which WHATWG URL does not accept. */
const ZONED_HOST = /^(wss?:\/\/(?:[^@/?#]*@)?\[)([0-9A-Fa-f:.]+)%25([A-Za-z0-9_.~-]+)(\].*)$/s;

export function parseWsUrl(input: string): WsUrl {
  const zoned = ZONED_HOST.exec(input);
  const parsed = parseWsUrlWithoutZone(zoned ? `${zoned[1]}${zoned[2]}${zoned[4]}` : input, input);
  if (!zoned) return parsed;
  // The zone says which interface to dial on; the Host header carries the address without it.
  const zone = zoned[3]!;
  return { ...parsed, host: `${parsed.host}%${zone}`, href: parsed.href.replace(/\[([^\]]+)\]/, `[$1%25${zone}]`) };
}

function parseWsUrlWithoutZone(input: string, original: string): WsUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new WsHandshakeError(`invalid WebSocket URL ${quote(original)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WsHandshakeError(`WebSocket URL must start with ws:// or wss://, got ${quote(original)}`);
  }
  if (url.hash !== '' || input.includes('#')) {
    throw new WsHandshakeError(`WebSocket URL must not have a fragment (#...): ${quote(original)}`);
  }
  if (url.hostname === '') throw new WsHandshakeError(`WebSocket URL has no host: ${quote(original)}`);
  const secure = url.protocol === 'wss:';
  const credentials =
    url.username !== '' || url.password !== ''
      ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
      : undefined;
  return {
    href: url.href,
    secure,
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    hostHeader: url.host,
    resource: `${url.pathname || '/'}${url.search}`,
    credentials,
  };
}

function checkProtocols(protocols: readonly string[]): void {
  for (const protocol of protocols) {
    if (!isToken(protocol)) throw new WsHandshakeError(`invalid subprotocol name ${quote(protocol)}`);
  }
  if (new Set(protocols).size !== protocols.length) throw new WsHandshakeError('subprotocols must be unique');
}

function checkExtraHeader(name: string, value: string): void {
  if (!isToken(name)) throw new WsHandshakeError(`invalid header name ${quote(name)}`);
  if (MANAGED_HEADERS.has(name.toLowerCase())) {
    throw new WsHandshakeError(`header ${name} is set by the handshake itself and cannot be given in headers`);
  }
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
    throw new WsHandshakeError(`invalid value for header ${name}: ${quote(String(value))}`);
  }
}

/** The opening handshake request of RFC 6455 section 4.1, as bytes. */
export function buildClientRequest(url: WsUrl, options: ClientRequestOptions = {}): ClientRequest {
  const protocols = options.protocols ?? [];
  checkProtocols(protocols);
  const key = options.key ?? generateKey();
  const defaults: Array<[string, string]> = [['Host', url.hostHeader]];
  if (options.origin !== undefined) defaults.push(['Origin', options.origin]);
  if (url.credentials !== undefined) defaults.push(['Authorization', `Basic ${Buffer.from(url.credentials).toString('base64')}`]);
  const extra = Object.entries(options.headers ?? {});
  const overridden = new Set(extra.map(([name]) => name.toLowerCase()));
  const kept = defaults.filter(([name]) => !overridden.has(name.toLowerCase()));
  const fieldLines = (fields: Array<[string, string]>) => fields.map(([name, value]) => `${name}: ${value}`);
  for (const [name, value] of [...kept, ...extra]) checkExtraHeader(name, value);
  const lines = [
    `GET ${url.resource} HTTP/1.1`,
    ...fieldLines(kept.filter(([name]) => name === 'Host')),
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...(protocols.length > 0 ? [`Sec-WebSocket-Protocol: ${protocols.join(', ')}`] : []),
    ...(options.perMessageDeflate ? [`Sec-WebSocket-Extensions: ${CLIENT_DEFLATE_OFFER}`] : []),
    ...fieldLines(kept.filter(([name]) => name !== 'Host')),
    ...fieldLines(extra),
  ];
  const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return { bytes, key, protocols, deflateOffered: options.perMessageDeflate === true };
}

/**
 * The permessage-deflate agreement in a server's answer to CLIENT_DEFLATE_OFFER: null when declined,
 * a string saying what is wrong when the answer is unacceptable.
 */
export function agreedDeflate(head: HttpResponseHead): DeflateAgreement | null | string {
  const values = head.headers.list('sec-websocket-extensions');
  if (values.length === 0) return null;
  const answers = parseExtensions(values);
  if (answers === null) return `malformed Sec-WebSocket-Extensions ${quote(values.join(', '))}`;
  if (answers.length !== 1) return `server accepted ${answers.length} extensions; one was offered`;
  return acceptDeflateAnswer(answers[0]!, values.join(', '));
}

/** The error message for a response other than 101, quoting its status line. */
export function refusalMessage(statusLine: string): string {
  return `server refused the WebSocket handshake: ${quote(statusLine)}`;
}

/**
 * Checks the server's answer (RFC 6455 section 4.1, the client's last steps) and returns the agreed
 * subprotocol ('' for none). Throws WsHandshakeError quoting the status line, with the status.
 */
export function verifyServerResponse(
  head: HttpResponseHead,
  request: Pick<ClientRequest, 'key' | 'protocols' | 'deflateOffered'>,
): string {
  const fail = (problem: string) => new WsHandshakeError(`${problem} (server answered ${quote(head.statusLine)})`, head.status);
  if (head.status !== 101) throw new WsHandshakeError(refusalMessage(head.statusLine), head.status);
  const { headers } = head;
  const [major, minor] = head.httpVersion.split('.').map(Number);
  if (major !== 1 || minor < 1) throw fail(`101 response must be HTTP/1.1, got HTTP/${head.httpVersion}`);
  if (!headers.hasToken('upgrade', 'websocket')) {
    throw fail(`Upgrade header must be "websocket", got ${quote(headers.get('upgrade') ?? '(none)')}`);
  }
  if (!headers.hasToken('connection', 'upgrade')) {
    throw fail(`Connection header must contain "Upgrade", got ${quote(headers.get('connection') ?? '(none)')}`);
  }
  const accept = headers.get('sec-websocket-accept');
  if (headers.count('sec-websocket-accept') !== 1 || accept !== computeAcceptKey(request.key)) {
    throw fail(`wrong Sec-WebSocket-Accept ${quote(accept ?? '(none)')}, expected ${computeAcceptKey(request.key)}`);
  }
  const extensions = headers.list('sec-websocket-extensions');
  if (extensions.length > 0 && !request.deflateOffered) {
    throw fail(`server accepted extension ${quote(extensions.join(', '))} that was not offered`);
  }
  const deflate = agreedDeflate(head);
  if (typeof deflate === 'string') throw fail(deflate);
  const returned = headers.list('sec-websocket-protocol');
  if (returned.length === 0) return '';
  if (returned.length > 1) throw fail(`server answered more than one subprotocol: ${quote(returned.join(', '))}`);
  if (!request.protocols.includes(returned[0])) {
    throw fail(`server chose subprotocol ${quote(returned[0])}, which was not offered`);
  }
  return returned[0];
}
