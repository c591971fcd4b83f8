import { isIPv4, isIPv6 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** One address of an interface mDNS runs on (an interface with several addresses appears several times). */
export interface SelectedInterface {
  name: string;
  address: string;
  netmask: string;
  family: 'IPv4' | 'IPv6';
}

export type InterfaceChoice = { ok: true; interfaces: SelectedInterface[] } | { ok: false; reason: string };

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

function selected(name: string, entry: NetworkInterfaceInfo): SelectedInterface {
  return { name, address: entry.address, netmask: entry.netmask, family: entry.family === 'IPv4' ? 'IPv4' : 'IPv6' };
}

/**
 * Picks the interfaces to run mDNS on, with every IPv4 and IPv6 address of each: the one named by the
 * `interface` option (loopback allowed when asked for by name), otherwise every non-internal one. Every
 * interface is named explicitly when joining the groups, so a host without a multicast route still works
 * (mdns-js bug 6: it joins without naming one and dies with `addMembership ENODEV`).
 */
export function selectInterfaces(table: InterfaceTable, wanted?: string): InterfaceChoice {
  if (wanted !== undefined) {
    const entries = table[wanted];
    if (!entries || entries.length === 0) return { ok: false, reason: `network interface "${wanted}" does not exist or is down` };
    return { ok: true, interfaces: entries.map((entry) => selected(wanted, entry)) };
  }
  const interfaces: SelectedInterface[] = [];
  for (const [name, entries] of Object.entries(table)) {
    for (const entry of entries ?? []) if (!entry.internal) interfaces.push(selected(name, entry));
  }
  if (interfaces.length === 0) return { ok: false, reason: 'no network interface with an address other than loopback (no network?)' };
  return { ok: true, interfaces };
}

/** The interface names of a selection, each once, in order. */
export function interfaceNames(interfaces: readonly SelectedInterface[]): string[] {
  return [...new Set(interfaces.map((entry) => entry.name))];
}

function ipv4Bytes(address: string): number[] | null {
  if (!isIPv4(address)) return null;
  return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (a `%zone` suffix is ignored), or null. */
export function ipv6Bytes(address: string): number[] | null {
  const bare = withoutZone(address);
  if (!isIPv6(bare)) return null;
  let text = bare;
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...ipv4Bytes(dotted[1]!)!);
    text = `${text.slice(0, dotted.index)}:0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const front = groups(head);
  const back = rest === null ? [] : groups(rest);
  const words = rest === null ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff]);
  if (tail.length > 0) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}

export function withoutZone(address: string): string {
  const at = address.indexOf('%');
  return at === -1 ? address : address.slice(0, at);
}

export function zoneOf(address: string): string | undefined {
  const at = address.indexOf('%');
  return at === -1 ? undefined : address.slice(at + 1);
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

export function isLinkLocalIpv6(address: string): boolean {
  const bytes = ipv6Bytes(address);
  return bytes !== null && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

/** Addresses a peer can be dialled on: unicast IPv4, not 0.0.0.0, not multicast or broadcast. */
export function isDialableIpv4(address: string): boolean {
  const bytes = ipv4Bytes(address);
  return bytes !== null && bytes[0] !== 0 && bytes[0]! < 224;
}

/** Unicast IPv6: not ::, not multicast (ff00::/8), not an IPv4-mapped address. */
export function isDialableIpv6(address: string): boolean {
  const bytes = ipv6Bytes(address);
  if (bytes === null || bytes[0] === 0xff || bytes.every((byte) => byte === 0)) return false;
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return !mapped;
}

function sameSubnet(a: number[], b: number[], mask: number[]): boolean {
  return a.length === mask.length && b.length === mask.length && mask.every((m, index) => (a[index]! & m) === (b[index]! & m));
}

function inSubnetOf(address: string, entry: SelectedInterface): boolean {
  const parse = entry.family === 'IPv4' ? ipv4Bytes : ipv6Bytes;
  const own = parse(entry.address);
  const mask = parse(entry.netmask);
  const value = parse(address);
  return own !== null && mask !== null && value !== null && sameSubnet(own, value, mask);
}

/**
 * The interfaces on the same link as `link`, `link` first: those sharing an IPv4 subnet or a global/ULA IPv6
 * prefix with it (RFC 6762 section 14: a host with several interfaces on one link, e.g. Ethernet and Wi-Fi
 * bridged by the access point). Sent on any of them, the host's address records list the addresses of all of
 * them, so that their cache-flush bits do not flush each other's addresses at the receivers.
 */
export function sameLinkAs(link: string, interfaces: readonly SelectedInterface[]): string[] {
  const own = interfaces.filter((entry) => entry.name === link && !isLinkLocalIpv6(entry.address));
  const shares = (entry: SelectedInterface) =>
    !isLinkLocalIpv6(entry.address) && own.some((mine) => mine.family === entry.family && (inSubnetOf(entry.address, mine) || inSubnetOf(mine.address, entry)));
  return [link, ...interfaceNames(interfaces.filter((entry) => entry.name !== link && shares(entry)))];
}

/**
 * The interface a message came in on, told by its source address (mDNS is link-local: RFC 6762 §11): the zone
 * of an IPv6 link-local source, otherwise the interface whose subnet holds the source. Undefined: not on a link.
 */
export function arrivalInterface(source: string, interfaces: readonly SelectedInterface[]): string | undefined {
  const zone = zoneOf(source);
  if (zone !== undefined) return interfaces.some((entry) => entry.name === zone) ? zone : undefined;
  if (isLinkLocalIpv6(source)) {
    const names = interfaceNames(interfaces.filter((entry) => entry.family === 'IPv6'));
    return names.length === 1 ? names[0] : undefined;
  }
  return interfaces.find((entry) => inSubnetOf(source, entry))?.name;
}

/**
 * The subnet rule for addresses learnt from mDNS (issue 10 item 11): an address record that came in on
 * interface `link` is dialled only when it lies in a subnet of that interface; an IPv6 link-local address is
 * dialled on that interface, so it gets its zone (`fe80::1%eth0`). Returns the address to dial, or null.
 */
export function addressOnLink(address: string, link: string, interfaces: readonly SelectedInterface[], allowLoopback: boolean): string | null {
  if (!allowLoopback && isLoopback(address)) return null;
  const own = interfaces.filter((entry) => entry.name === link);
  if (isIPv4(address)) {
    if (!isDialableIpv4(address)) return null;
    return own.some((entry) => entry.family === 'IPv4' && inSubnetOf(address, entry)) ? address : null;
  }
  if (!isDialableIpv6(address)) return null;
  if (isLinkLocalIpv6(address)) return own.some((entry) => entry.family === 'IPv6') ? `${withoutZone(address)}%${link}` : null;
  return own.some((entry) => entry.family === 'IPv6' && inSubnetOf(address, entry)) ? address : null;
}

/** Dialling order: IPv4 first, then global/ULA IPv6, then link-local IPv6; by text within each. */
export function compareAddresses(a: string, b: string): number {
  const rank = (address: string) => (isIPv4(address) ? 0 : isLinkLocalIpv6(address) ? 2 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}
