import type { DisconnectReason } from '../mesh/link.ts';
import type { RejectionInfo } from '../mesh/node.ts';
import type { StaticPeerInfo } from '../mesh/dial-log.ts';
import type { PeerInfo } from '../mesh/peer-table.ts';

/**
 * Replaces control characters (C0, DEL, C1: ESC sequences among them) and bidirectional overrides with '?', so
 * that ids, names, reasons and chat from peers cannot drive or disguise the terminal. One '?' per UTF-16 unit
 * keeps column widths.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
}

export function shortId(id: string): string {
  return printable(id.slice(0, 8));
}

export function formatRtt(ms: number | null): string {
  return ms === null ? '-' : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}

export function who(peer: { name: string; id: string }): string {
  return `${printable(peer.name)} (${shortId(peer.id)})`;
}

export function describeReason(reason: DisconnectReason): string {
  switch (reason.type) {
    case 'ping-timeout':
      return 'ping-timeout';
    case 'error':
      return `error: ${reason.message}`;
    case 'close':
      return `close ${reason.code}${reason.reason ? ` "${printable(reason.reason)}"` : ''} by ${reason.by}`;
  }
}

export function describeRejection(info: RejectionInfo): string {
  const peer = info.peerId === null ? '' : ` ${shortId(info.peerId)}`;
  const where = info.url === null ? '' : ` ${info.url}`;
  const what = info.by === 'local' ? `refused ${info.direction} connection${peer}${where}` : `refused by the peer${peer}${where}`;
  return `! ${what}: ${info.code} ${printable(info.reason)}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The peer table as aligned text columns (one header line, one line per peer or static address not reached yet). */
export function formatPeerTable(peers: PeerInfo[], unresolved: StaticPeerInfo[]): string {
  const header = ['NAME', 'ID', 'KIND', 'STATE', 'DIR', 'VIA', 'RTT', 'SRTT', 'IN', 'OUT', 'ADDRESS'];
  const rows = peers.map((peer) => [
    printable(peer.name),
    shortId(peer.id),
    peer.kind,
    peer.state,
    peer.direction ?? '-',
    peer.via === null ? '-' : shortId(peer.via),
    formatRtt(peer.rtt.last),
    formatRtt(peer.rtt.smoothed),
    `${peer.messagesIn}/${formatBytes(peer.bytesIn)}`,
    `${peer.messagesOut}/${formatBytes(peer.bytesOut)}`,
    peer.addresses.map((address) => `${address.url} (${address.source})`).join(' ') || '-',
  ]);
  for (const address of unresolved) {
    const error = address.lastError === null ? '' : `, last error: ${address.lastError}`;
    rows.push(['?', '?', '?', address.state, '-', '-', '-', '-', '-', '-', `${address.url} (static${error})`]);
  }
  if (rows.length === 0) return 'no peers yet';
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}
