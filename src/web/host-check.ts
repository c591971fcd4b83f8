import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname as osHostname } from 'node:os';

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), lower case, without a trailing dot. */
export function hostnameOf(host: string): string {
  const withoutPort = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return withoutPort.toLowerCase().replace(/\.$/, '');
}

/**
 * Checks an `allowHosts` entry (a DNS name the node is reached by, without port) and returns it normalised.
 */
export function parseAllowedHost(value: string): string {
  const name = value.trim().toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
    throw new TypeError(`${JSON.stringify(value)} is not a host name like mesh.example.org (no scheme, no port)`);
  }
  return name;
}

/**
 * The names a request may call the node by (`Host`). A DNS-rebinding page reaches the node's port under
 * the attacker's DNS name, and the browser then sends that name in `Host`; so only names that cannot be
 * an attacker's are accepted: IP address literals (a rebinding needs a name), `localhost`, this machine's
 * name (also with `.local`), and the names listed in `allowHosts`.
 */
export class HostCheck {
  readonly #names: Set<string>;

  constructor(allowHosts: readonly string[] = [], machineName: string = osHostname()) {
    const name = machineName.toLowerCase();
    this.#names = new Set(['localhost', name, `${name}.local`, name.split('.')[0], ...allowHosts.map(parseAllowedHost)]);
  }

  /** Whether `host` (a `Host` header value, or a bare host name) names this node. */
  isOwn(host: string | undefined): boolean {
    if (host === undefined || host === '') return false;
    const name = hostnameOf(host);
    return isIP(name) !== 0 || this.#names.has(name);
  }

  /**
   * Answers 421 (Misdirected Request) when the request's `Host` is not one of the node's names; returns
   * whether it did. The answer says nothing about the node.
   */
  refuseForeign(request: IncomingMessage, response: ServerResponse): boolean {
    const host = request.headers.host;
    if (this.isOwn(host)) return false;
    const body = `${JSON.stringify(host ?? '')} is not a name of this node: use its IP address or start it with --allow-host\n`;
    response.writeHead(421, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  }
}
