import type { OptionKind } from '../options-check.ts';
import type { Duplex } from 'node:stream';
import type { DeflateAgreement, DeflateOptions } from '../protocol/permessage-deflate.ts';
import { WebSocket, type WebSocketOptions } from './websocket.ts';

/** The per-connection settings that server and connect() options pass through to each WebSocket. */
export interface ConnectionSettings
  extends Pick<
    WebSocketOptions,
    'maxPayload' | 'autoPong' | 'fragmentSize' | 'textAsBuffer' | 'closeTimeout' | 'highWaterMark' | 'maxBufferedAmount' | 'generateMask'
  > {
  /** setNoDelay on the socket (no Nagle delay for small frames). Default true. */
  noDelay?: boolean;
  /** Offer (client) or accept (server) permessage-deflate; `true` or options. Default false. */
  perMessageDeflate?: boolean | DeflateOptions;
}

/** The kinds of value each connection setting takes (checked for plain-JS callers of connect() and the server). */
export const CONNECTION_SETTINGS = {
  maxPayload: ['number'], autoPong: ['boolean'], fragmentSize: ['number'], textAsBuffer: ['boolean'], closeTimeout: ['number'],
  highWaterMark: ['number'], maxBufferedAmount: ['number'], generateMask: ['function'], noDelay: ['boolean'], perMessageDeflate: ['boolean', 'object'],
} as const satisfies Record<keyof ConnectionSettings, readonly OptionKind[]>;

/**
 * Hands a stream whose opening handshake just completed, and the bytes that followed it, to a new WebSocket.
 * `perMessageDeflate` is passed apart from the settings because a server decides it per request.
 */
export function openWebSocket(
  socket: Duplex,
  head: Buffer,
  identity: Pick<WebSocketOptions, 'role' | 'protocol' | 'url'> & { deflate?: DeflateAgreement | null },
  settings: Omit<ConnectionSettings, 'perMessageDeflate'>,
  perMessageDeflate: ConnectionSettings['perMessageDeflate'],
): WebSocket {
  const agreement = identity.deflate;
  const deflateOptions = typeof perMessageDeflate === 'object' ? perMessageDeflate : {};
  const ws = new WebSocket(socket, {
    role: identity.role,
    protocol: identity.protocol,
    url: identity.url,
    head,
    deflate: agreement ? { agreement, options: deflateOptions } : undefined,
    maxPayload: settings.maxPayload,
    autoPong: settings.autoPong,
    fragmentSize: settings.fragmentSize,
    textAsBuffer: settings.textAsBuffer,
    closeTimeout: settings.closeTimeout,
    highWaterMark: settings.highWaterMark,
    maxBufferedAmount: settings.maxBufferedAmount,
    generateMask: settings.generateMask,
  });
  if (settings.noDelay ?? true) ws.setNoDelay(true);
  return ws;
}
