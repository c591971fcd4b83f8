import type { DisconnectReason } from '../mesh/link.ts';
import type { MessageInfo } from '../mesh/messenger.ts';
import type { MeshNode, RejectionInfo } from '../mesh/node.ts';
import type { PendingAddress, PeerInfo } from '../mesh/peer-table.ts';
import { describeReason, describeRejection, formatPeerTable, formatRtt, printable, who } from './format.ts';

/** What the CLI prints: human lines, or one JSON object per line with `--json`. */
export interface Output {
  ready(node: MeshNode): void;
  discovered(peer: PeerInfo, source: string): void;
  connected(peer: PeerInfo): void;
  disconnected(peer: PeerInfo, reason: DisconnectReason): void;
  rtt(peer: PeerInfo, rtt: number): void;
  lost(peer: PeerInfo): void;
  rejected(info: RejectionInfo): void;
  message(data: string | Buffer, info: MessageInfo): void;
  sent(to: PeerInfo | null, text: string): void;
  delivered(to: PeerInfo): void;
  peers(peers: PeerInfo[], pending: PendingAddress[]): void;
  info(text: string): void;
  problem(text: string): void;
}

/** Where a browser opens the node's web UI: its listen URLs over http. */
function pageUrls(node: MeshNode): string[] {
  return node.options.webUi ? node.urls.map((url) => url.replace(/^ws:/, 'http:')) : [];
}

const OPEN_MESH_BANNER = 'open mesh: no secret set, anyone who can reach this node may join (links are still encrypted; use --secret-file)';

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function humanOutput(node: MeshNode): Output {
  const nameOf = (id: string) => printable(node.table.get(id)?.name ?? id.slice(0, 8));
  /** Peers whose first RTT after connecting was printed; later ones show in /peers. */
  const rttShown = new Set<string>();
  return {
    ready: (self) => {
      line(`wsmesh node ${printable(self.name)} id ${self.id} mesh ${printable(self.mesh)}`);
      line(self.options.secret === undefined ? OPEN_MESH_BANNER : 'mesh secret set: only nodes with the same secret can join');
      for (const url of self.urls) line(`listening on ${url}`);
      for (const url of pageUrls(self)) line(`web page ${url}`);
    },
    discovered: (peer, source) => line(`* discovered ${who(peer)} ${peer.kind} via ${source}`),
    connected: (peer) => {
      rttShown.delete(peer.id);
      line(`+ connected ${who(peer)} ${peer.kind} ${peer.direction}`);
    },
    disconnected: (peer, reason) => line(`- disconnected ${who(peer)}: ${describeReason(reason)} (last rtt ${formatRtt(peer.rtt.last)})`),
    rtt: (peer, rtt) => {
      if (rttShown.has(peer.id)) return;
      rttShown.add(peer.id);
      line(`~ rtt ${who(peer)} ${formatRtt(rtt)}`);
    },
    lost: (peer) => line(`x lost ${who(peer)}`),
    rejected: (info) => line(describeRejection(info)),
    message: (data, info) => {
      const text = typeof data === 'string' ? printable(data) : `[binary, ${data.length} bytes]`;
      line(`<${nameOf(info.from)}>${info.to === null ? '' : ' (direct)'} ${text}`);
    },
    sent: () => {},
    delivered: (to) => line(`> delivered to ${who(to)}`),
    peers: (peers, pending) => line(formatPeerTable(peers, pending)),
    info: line,
    problem: (text) => line(`! ${text}`),
  };
}

function jsonOutput(node: MeshNode): Output {
  const emit = (event: string, fields: object) => line(JSON.stringify({ event, time: Date.now(), ...fields }));
  return {
    ready: (self) => emit('ready', { id: self.id, name: self.name, mesh: self.mesh, open: self.options.secret === undefined, urls: self.urls, pages: pageUrls(self) }),
    discovered: (peer, source) => emit('peer:discovered', { peer, source }),
    connected: (peer) => emit('peer:connected', { peer }),
    disconnected: (peer, reason) => emit('peer:disconnected', { peer, reason }),
    rtt: (peer, rtt) => emit('peer:rtt', { id: peer.id, name: peer.name, rtt, smoothed: peer.rtt.smoothed }),
    lost: (peer) => emit('peer:lost', { peer }),
    rejected: (info) => emit('peer:rejected', info),
    message: (data, info) => {
      const binary = typeof data !== 'string';
      const name = node.table.get(info.from)?.name ?? null;
      emit('message', { ...info, name, binary, data: binary ? data.toString('base64') : data });
    },
    sent: (to, text) => emit('sent', { to: to?.id ?? null, text }),
    delivered: (to) => emit('delivered', { to: to.id, name: to.name }),
    peers: (peers, pending) => emit('peers', { peers, pending }),
    info: (text) => emit('info', { text }),
    problem: (text) => emit('problem', { text }),
  };
}

export function consoleOutput(json: boolean, node: MeshNode): Output {
  return json ? jsonOutput(node) : humanOutput(node);
}
