import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestPath } from '../handshake/server-handshake.ts';
import type { OriginVerdict } from './origin-policy.ts';

export const ACCESS_PATH = '/access';

export interface AccessCheckContext {
  /** The node's origin check (an `OriginPolicy`), asked for the page's origin and the `Host` it named. */
  policy: { check(origin: string | undefined, host: string | undefined): OriginVerdict };
  /** Whether the node has a secret (the page then asks for it). */
  auth: boolean;
  /**
   * The node's mesh: a page needs it before the handshake, as the salt of the link's PSK (so anyone who reaches
   * the node learns it; mDNS announces only a tag of it).
   */
  mesh: string;
}

/** What `GET /access` answers, to any origin. */
export interface AccessAnswer {
  /** Whether a WebSocket from this origin would be accepted. */
  allowed: boolean;
  /** The origin the check was made for. */
  origin: string | null;
  auth: boolean;
  reason: string;
  mesh: string;
}

/**
 * A browser sees a refused WebSocket handshake only as "Unexpected response code: 403"; so the page first
 * asks `GET /access` whether its origin may connect. The answer is readable from any origin (it tells a
 * page only about itself). A same-origin fetch carries no `Origin`: the page's origin is then the node's
 * address as the page named it in `Host`.
 */
export function answerAccessCheck(request: IncomingMessage, context: AccessCheckContext): AccessAnswer {
  const host = request.headers.host;
  const origin = request.headers.origin ?? (host === undefined ? undefined : `http://${host}`);
  const verdict = context.policy.check(origin, host);
  return { allowed: verdict.allowed, origin: origin ?? null, auth: context.auth, reason: verdict.reason, mesh: context.mesh };
}

/** Serves `GET /access`; returns false, without touching `response`, for any other path. */
export function serveAccessCheck(request: IncomingMessage, response: ServerResponse, context: AccessCheckContext): boolean {
  const path = requestPath(request.url);
  if (path !== ACCESS_PATH) return false;
  const common = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...common, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${request.method} is not allowed here; use GET\n`);
    return true;
  }
  const body = JSON.stringify(answerAccessCheck(request, context));
  response.writeHead(200, { ...common, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(request.method === 'HEAD' ? undefined : body);
  return true;
}
