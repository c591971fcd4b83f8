import type { NetworkInterfaceInfo } from 'node:os';

/** An IPv4 interface mDNS runs on. */
export interface SelectedInterface {
  name: string;
  address: string;
  netmask: string;
}

export type InterfaceChoice = { ok: true; interfaces: SelectedInterface[] } | { ok: false; reason: string };

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * Picks the interfaces to run mDNS on: the one named by the `interface` option (loopback allowed when asked
 * for by name), otherwise every non-internal IPv4 interface. Every interface is named explicitly when joining
 * the group, so a host without a multicast route still works (mdns-js bug 6: it joins without naming one and
 * dies with `addMembership ENODEV`). IPv6 is not used.
 */
export function selectInterfaces(table: InterfaceTable, wanted?: string): InterfaceChoice {
  if (wanted !== undefined) {
    const entries = table[wanted];
    if (!entries) return { ok: false, reason: `network interface "${wanted}" does not exist` };
    const ipv4 = entries.filter((entry) => entry.family === 'IPv4');
    if (ipv4.length === 0) return { ok: false, reason: `network interface "${wanted}" has no IPv4 address` };
    return { ok: true, interfaces: ipv4.map((entry) => ({ name: wanted, address: entry.address, netmask: entry.netmask })) };
  }
  const interfaces: SelectedInterface[] = [];
  for (const [name, entries] of Object.entries(table)) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) interfaces.push({ name, address: entry.address, netmask: entry.netmask });
    }
  }
  if (interfaces.length === 0) {
    return { ok: false, reason: 'no network interface with an IPv4 address other than loopback (no network?)' };
  }
  return { ok: true, interfaces };
}

function ipv4ToNumber(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    value = value * 256 + byte;
  }
  return value;
}

export function isIpv4(address: string): boolean {
  return ipv4ToNumber(address) !== null;
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Addresses a peer can be dialled on: unicast IPv4, not 0.0.0.0, not multicast or broadcast. */
export function isDialableIpv4(address: string): boolean {
  const value = ipv4ToNumber(address);
  if (value === null) return false;
  const first = Math.floor(value / 0x1000000);
  return value !== 0 && first !== 0 && first < 224;
}

/** Whether `address` lies in the subnet of one of the interfaces (mDNS is link-local: RFC 6762 §11). */
export function isOnLink(address: string, interfaces: readonly SelectedInterface[]): boolean {
  const value = ipv4ToNumber(address);
  if (value === null) return false;
  return interfaces.some((entry) => {
    const own = ipv4ToNumber(entry.address);
    const mask = ipv4ToNumber(entry.netmask);
    if (own === null || mask === null) return false;
    return (own & mask) >>> 0 === (value & mask) >>> 0;
  });
}
