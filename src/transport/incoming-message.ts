import type { IncomingMessage } from 'node:http';
import { HeaderFields } from '../handshake/header-fields.ts';
import type { HandshakeRequest } from '../handshake/server-handshake.ts';

/**
 * Adapts the request of an `http.Server` 'upgrade' event to the sans-I/O handshake's request (which knows
 * nothing of node:http). Uses headersDistinct so that repeated fields stay visible.
 */
export function requestFromIncomingMessage(request: IncomingMessage): HandshakeRequest {
  return {
    method: request.method ?? '',
    target: request.url ?? '',
    httpVersion: request.httpVersion,
    headers: HeaderFields.fromDistinct(request.headersDistinct),
  };
}
