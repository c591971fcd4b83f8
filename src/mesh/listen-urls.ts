import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** `ws://host:port/path`, with IPv6 hosts in brackets. */
export function wsUrl(host: string, port: number, path = '/'): string {
  const bareHost = host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
  const zone = bareHost.indexOf('%');
  // An IPv6 link-local address carries its zone, written %25 in a URL (RFC 6874): ws://[fe80::1%25eth0]:port/.
  const hostPart = zone !== -1 ? `[${bareHost.slice(0, zone)}%25${bareHost.slice(zone + 1)}]` : isIPv6(bareHost) ? `[${bareHost}]` : bareHost;
  return `ws://${hostPart}:${port}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * The URLs a node listening on `host:port` can be reached at: the host itself, or, for a wildcard
 * address, every address of this machine's interfaces of the matching family.
 */
export function listenUrls(host: string, port: number): string[] {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (!wildcard) return [wsUrl(host, port)];
  const urls: string[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv6' && host !== '::') continue;
      urls.push(wsUrl(address.scopeid ? `${address.address}%${name}` : address.address, port));
    }
  }
  return urls.sort((a, b) => Number(a.includes('127.0.0.1') || a.includes('[::1]')) - Number(b.includes('127.0.0.1') || b.includes('[::1]')));
}

/**
 * The http:// page links among a node's listen URLs: only what a browser can open. Browsers do not accept
 * an IPv6 zone in a URL (RFC 6874 was never implemented by them), so zoned link-local addresses are left out.
 */
export function pageUrlsOf(urls: readonly string[]): string[] {
  return urls.filter((url) => !url.includes('%25')).map((url) => url.replace(/^ws:/, 'http:'));
}
