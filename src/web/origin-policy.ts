import { HostCheck, hostnameOf } from './host-check.ts';

export interface OriginVerdict {
  allowed: boolean;
  /** Why, in a sentence for the user (also shown by a refused page). */
  reason: string;
}

/**
 * Checks an `--allow-origin` value and returns it in the form browsers send in `Origin`:
 * `*` (any origin), `null` (file:// and sandboxed pages), or `scheme://host[:port]` of an http(s) URL.
 */
export function parseAllowedOrigin(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '*' || trimmed === 'null') return trimmed;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TypeError(`${JSON.stringify(value)} is not an origin like http://host:port, "null" or "*"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${JSON.stringify(value)} is not an http:// or https:// origin`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new TypeError(`${JSON.stringify(value)} is not an origin: scheme://host[:port] only, without a path`);
  }
  return url.origin;
}

/**
 * Which browser pages may connect to a node. Connections without `Origin` (node peers, scripts) are
 * always allowed; browsers always send it. A page's origin is accepted when it is listed (`allowed`),
 * or when it is the node's own origin: the page came from the very host and port it connects to (its
 * `Origin` matches the `Host` of the request) and that host is one of the node's names (`HostCheck`: an IP
 * address, `localhost`, this machine's name, `allowHosts`), so that a foreign site cannot borrow the node's
 * origin by rebinding its DNS name.
 */
export class OriginPolicy {
  readonly #allowed: Set<string>;
  readonly #hosts: HostCheck;

  constructor(allowed: readonly string[] = [], hosts: HostCheck = new HostCheck()) {
    this.#allowed = new Set(allowed.map(parseAllowedOrigin));
    this.#hosts = hosts;
  }

  /** The extra origins, as given (normalised). */
  get allowed(): string[] {
    return [...this.#allowed];
  }

  /** @param host the request's `Host` header */
  check(origin: string | undefined, host: string | undefined): OriginVerdict {
    if (origin === undefined) return { allowed: true, reason: 'no Origin header: not a browser page' };
    if (this.#allowed.has('*')) return { allowed: true, reason: 'this node accepts every origin (--allow-origin "*")' };
    if (this.#allowed.has(origin)) return { allowed: true, reason: `${origin} is allowed with --allow-origin` };
    const hint = `Start the node with --allow-origin ${origin === 'null' ? 'null' : origin} to accept it.`;
    if (host !== undefined && this.#isSameHost(origin, host)) {
      if (this.#hosts.isOwn(host)) return { allowed: true, reason: 'the page was served by this node' };
      return {
        allowed: false,
        reason: `The name ${hostnameOf(host)} is not this machine's: only pages reached by IP address, localhost, the machine's name or an --allow-host name count as the node's own. ${hint}`,
      };
    }
    return { allowed: false, reason: `Only pages served by this node itself may connect (origin ${origin} is not). ${hint}` };
  }

  #isSameHost(origin: string, host: string): boolean {
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host}`).host;
    } catch {
      return false;
    }
  }
}
