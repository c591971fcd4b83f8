import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import {
  buildClientRequest,
  parseWsUrl,
  refusalMessage,
  verifyServerResponse,
  agreedDeflate,
  type ClientRequest,
  type WsUrl,
} from '../handshake/client-handshake.ts';
import { DEFAULT_MAX_HEAD_SIZE, HttpResponseParser, type HttpResponseHead } from '../handshake/http-head-parser.ts';
import { WsHandshakeError } from '../protocol/errors.ts';
import { CONNECTION_SETTINGS, openWebSocket, type ConnectionSettings } from './open-websocket.ts';
import { patientTimeout } from './patient-timer.ts';
import { checkOptions } from '../options-check.ts';
import type { OptionKind } from '../options-check.ts';
import type { WebSocket } from './websocket.ts';
import type { DeflateAgreement } from '../protocol/permessage-deflate.ts';

export interface ConnectOptions extends ConnectionSettings {
  /** Subprotocols to offer, most preferred first. Default: none. */
  protocols?: readonly string[];
  /** Origin header. Default: none (browsers send one; servers may check it). */
  origin?: string;
  /** Extra request headers (e.g. Authorization, Cookie). Host/Origin/Authorization override the defaults. */
  headers?: Readonly<Record<string, string>>;
  /** ms from dialing until the 101 response is verified. Default 10000. */
  handshakeTimeout?: number;
  /** Largest response head in bytes. Default 16 KiB. */
  maxHeaderSize?: number;
  /** IP family for host names: 4, 6, or 0 for either. Default 0. */
  family?: number;
  /** Local address to dial from. */
  localAddress?: string;
  /** wss: options for tls.connect (ca, rejectUnauthorized, ...). */
  tls?: TlsOptions;
  /** Aborts the handshake (rejects with the signal's reason). */
  signal?: AbortSignal;
}

const CONNECT_OPTIONS = {
  ...CONNECTION_SETTINGS,
  protocols: ['string[]'], origin: ['string'], headers: ['object'], handshakeTimeout: ['number'], maxHeaderSize: ['number'], family: ['number'],
  localAddress: ['string'], tls: ['object'], signal: ['object'],
} as const satisfies Record<keyof ConnectOptions, readonly OptionKind[]>;

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** At most this much of a refusal's body is waited for (and at most this long, in ms) to quote it. */
const REFUSAL_BODY_LIMIT = 1024;
const REFUSAL_BODY_WAIT = 1000;

function dial(url: WsUrl, options: ConnectOptions): Socket {
  const family = options.family ?? 0;
  const localAddress = options.localAddress;
  if (!url.secure) return netConnect({ host: url.host, port: url.port, family, localAddress });
  // tls.connect passes socket.connect() options (family, localAddress) through to the TCP connection.
  const tlsOptions: TlsOptions & { family: number; localAddress?: string } = {
    host: url.host,
    port: url.port,
    family,
    localAddress,
    servername: isIP(url.host) === 0 ? url.host : undefined,
    ALPNProtocols: ['http/1.1'],
    ...options.tls,
  };
  return tlsConnect(tlsOptions);
}

/** The refusal's text body, shortened to one line, or '' when it is not text. */
function describeBody(head: HttpResponseHead, body: Buffer): string {
  if (!/^text\//i.test(head.headers.get('content-type') ?? '')) return '';
  const text = body.subarray(0, REFUSAL_BODY_LIMIT).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function refusalError(head: HttpResponseHead, body: Buffer): WsHandshakeError {
  const text = describeBody(head, body);
  return new WsHandshakeError(`${refusalMessage(head.statusLine)}${text ? `: ${text}` : ''}`, head.status);
}

/**
 * Opens a WebSocket connection in the client role: dials, sends the opening handshake, verifies the
 * answer (RFC 6455 section 4.1) and resolves with an OPEN WebSocket. Rejects with WsHandshakeError
 * (quoting the status line of a refusal), with the socket's error when dialing fails, or on timeout.
 */
export function connect(url: string, options: ConnectOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let target: WsUrl;
    let request: ClientRequest;
    try {
      checkOptions('connect()', options, CONNECT_OPTIONS);
      target = parseWsUrl(url);
      request = buildClientRequest(target, { ...options, perMessageDeflate: Boolean(options.perMessageDeflate) });
    } catch (error) {
      return reject(error);
    }
    if (options.signal?.aborted) return reject(options.signal.reason);
    const socket = dial(target, options);
    const parser = new HttpResponseParser(options.maxHeaderSize ?? DEFAULT_MAX_HEAD_SIZE);
    const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    let refusal: { head: HttpResponseHead; body: Buffer[]; expected: number } | undefined;

    const cleanup = () => {
      cancelTimer();
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: Error) => {
      cleanup();
      socket.on('error', () => {}); // late errors of the discarded socket must not crash the process
      socket.destroy();
      reject(error);
    };
    const failRefused = () => {
      if (refusal) fail(refusalError(refusal.head, Buffer.concat(refusal.body)));
    };
    const onClose = () => {
      if (refusal) return failRefused();
      fail(new WsHandshakeError(`${target.href} closed the connection before completing the handshake`));
    };
    const onAbort = () => fail(options.signal!.reason);
    // Patient with a busy event loop: the server's answer may have arrived during a stall, not read yet.
    let cancelTimer = patientTimeout(timeout, () => {
      if (refusal) return failRefused();
      fail(new WsHandshakeError(`handshake with ${target.href} not complete within ${timeout} ms`));
    });

    const collectRefusalBody = (chunk: Buffer) => {
      refusal!.body.push(chunk);
      const received = refusal!.body.reduce((sum, part) => sum + part.length, 0);
      if (received >= refusal!.expected) failRefused();
    };

    const onData = (chunk: Buffer) => {
      if (refusal) return collectRefusalBody(chunk);
      let parsed;
      try {
        parsed = parser.push(chunk);
      } catch (error) {
        const problem = error instanceof Error ? error.message : String(error);
        return fail(new WsHandshakeError(`invalid HTTP response from ${target.href}: ${problem}`));
      }
      if (!parsed) return;
      const { head, rest } = parsed;
      if (head.status !== 101) {
        const length = head.headers.has('transfer-encoding') ? 0 : Number(head.headers.get('content-length') ?? Infinity);
        refusal = { head, body: [], expected: Math.min(Number.isNaN(length) ? 0 : length, REFUSAL_BODY_LIMIT) };
        cancelTimer();
        const refusalTimer = setTimeout(failRefused, REFUSAL_BODY_WAIT);
        cancelTimer = () => clearTimeout(refusalTimer);
        return collectRefusalBody(rest);
      }
      let protocol: string;
      try {
        protocol = verifyServerResponse(head, request);
      } catch (error) {
        return fail(error as Error);
      }
      cleanup();
      const deflate = agreedDeflate(head) as DeflateAgreement | null;
      const ws = openWebSocket(socket, rest, { role: 'client', protocol, url: target.href, deflate }, options, options.perMessageDeflate);
      resolve(ws);
    };

    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    options.signal?.addEventListener('abort', onAbort);
    socket.write(request.bytes);
  });
}
