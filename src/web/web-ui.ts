import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HandshakeRequest } from '../handshake/server-handshake.ts';
import { requestFromIncomingMessage } from '../transport/incoming-message.ts';
import { serveAccessCheck } from './access-check.ts';
import { HostCheck } from './host-check.ts';
import { OriginPolicy } from './origin-policy.ts';
import type { OriginVerdict } from './origin-policy.ts';
import { serveWebUi } from './static-files.ts';

export interface WebUiOptions {
  /** Origins besides the node's own whose pages may connect (`--allow-origin`). */
  allowOrigins?: readonly string[];
  /** DNS names the node is reached by, besides IP addresses, localhost and the machine's name (`--allow-host`). */
  allowHosts?: readonly string[];
  /** Replaces the origin policy entirely (the mesh node's `verifyOrigin` option). */
  verifyOrigin?: (origin: string | undefined, request: HandshakeRequest) => boolean;
  /** Whether the mesh has a secret (the page then asks for it). */
  auth: boolean;
  /** The mesh name (in `/access`: pages derive the link's PSK from it). */
  mesh: string;
  /** Serve the page and its files; false leaves only the origin check and `/access`. Default true. */
  page?: boolean;
}

/**
 * What a node needs for browser peers: the origin check of WebSocket upgrades, and the HTTP side
 * (`/access`, the page and its modules). Bad `allowOrigins` entries throw a TypeError naming them.
 */
export class WebUi {
  readonly policy: OriginPolicy;
  /** Which `Host` names the node answers plain HTTP requests for (DNS rebinding). */
  readonly hosts: HostCheck;
  readonly #options: WebUiOptions;

  constructor(options: WebUiOptions) {
    this.#options = options;
    this.hosts = new HostCheck(options.allowHosts ?? []);
    this.policy = new OriginPolicy(options.allowOrigins ?? [], this.hosts);
  }

  /** For `WebSocketServer`'s `verifyOrigin`: false answers the upgrade with 403. */
  readonly verifyOrigin = (origin: string | undefined, request: HandshakeRequest): boolean => this.#verdict(origin, request).allowed;

  /** Answers `/access` and the page's files; false for any other request. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const check = {
      check: (origin: string | undefined) => this.#verdict(origin, requestFromIncomingMessage(request)),
    };
    if (serveAccessCheck(request, response, { policy: check, auth: this.#options.auth, mesh: this.#options.mesh })) return true;
    return this.#options.page !== false && serveWebUi(request, response);
  }

  #verdict(origin: string | undefined, request: HandshakeRequest): OriginVerdict {
    const custom = this.#options.verifyOrigin;
    if (custom === undefined) return this.policy.check(origin, request.headers.get('host'));
    const allowed = custom(origin, request);
    return { allowed, reason: allowed ? 'allowed by the node' : "The node's verifyOrigin option refuses it." };
  }
}
