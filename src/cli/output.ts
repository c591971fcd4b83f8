import type { DialFailure, StaticPeerInfo } from '../mesh/dial-log.ts';
import type { DisconnectReason } from '../mesh/link.ts';
import type { MessageInfo } from '../mesh/messenger.ts';
import type { MeshNode, RejectionInfo } from '../mesh/node.ts';
import type { PeerInfo } from '../mesh/peer-table.ts';
import { describeReason, describeRejection, formatPeerTable, formatRtt, printable, shortId, who } from './format.ts';

/** What the CLI prints: human lines, or one JSON object per line with `--json`. */
export interface Output {
  ready(node: MeshNode): void;
  discovered(peer: PeerInfo, source: string): void;
  connected(peer: PeerInfo): void;
  disconnected(peer: PeerInfo, reason: DisconnectReason): void;
  rtt(peer: PeerInfo, rtt: number): void;
  lost(peer: PeerInfo): void;
  rejected(info: RejectionInfo): void;
  dialFailed(failure: DialFailure): void;
  message(data: string | Buffer, info: MessageInfo): void;
  sent(to: PeerInfo | null, text: string): void;
  delivered(to: PeerInfo): void;
  peers(peers: PeerInfo[], unresolved: StaticPeerInfo[]): void;
  info(text: string): void;
  problem(text: string): void;
}

const OPEN_MESH_BANNER = 'open mesh: no secret set, anyone who can reach this node may join (links are still encrypted; use --secret-file)';

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A human line: whatever a peer put in it (ids, names, reasons, addresses) cannot drive the terminal. */
function safeLine(text: string): void {
  line(text.split('\n').map(printable).join('\n'));
}

function humanOutput(node: MeshNode): Output {
  const nameOf = (id: string) => printable(node.peer(id)?.name ?? id.slice(0, 8));
  /** Peers whose first RTT after connecting was printed; later ones show in /peers. */
  const rttShown = new Set<string>();
  /** The dial failure last printed per address: a retry that fails the same way prints nothing. */
  const lastFailure = new Map<string, string>();
  const line = safeLine;
  return {
    ready: (self) => {
      line(`wsmesh node ${printable(self.name)} id ${self.id} mesh ${printable(self.mesh)}`);
      line(self.openMesh ? OPEN_MESH_BANNER : 'mesh secret set: only nodes with the same secret can join');
      for (const url of self.urls) line(`listening on ${url}`);
      for (const url of self.pageUrls) line(`web page ${url}`);
    },
    discovered: (peer, source) => line(`* discovered ${who(peer)} ${peer.kind} via ${source}`),
    connected: (peer) => {
      rttShown.delete(peer.id);
      for (const address of peer.addresses) lastFailure.delete(address.url);
      line(`+ connected ${who(peer)} ${peer.kind} ${peer.direction}`);
    },
    disconnected: (peer, reason) => line(`- disconnected ${who(peer)}: ${describeReason(reason)} (last rtt ${formatRtt(peer.rtt.last)})`),
    rtt: (peer, rtt) => {
      if (rttShown.has(peer.id)) return;
      rttShown.add(peer.id);
      line(`~ rtt ${who(peer)} ${formatRtt(rtt)}`);
    },
    lost: (peer) => line(`x lost ${who(peer)}`),
    rejected: (info) => {
      // Refusals of our own dials are reported once per change by dialFailed.
      if (info.direction === 'inbound') line(describeRejection(info));
    },
    dialFailed: (failure) => {
      if (lastFailure.get(failure.url) === failure.cause) return;
      lastFailure.set(failure.url, failure.cause);
      line(`! cannot reach ${failure.url}${failure.peerId === null ? '' : ` (${shortId(failure.peerId)})`}: ${failure.cause} (retrying)`);
    },
    message: (data, info) => {
      const text = typeof data === 'string' ? printable(data) : `[binary, ${data.length} bytes]`;
      line(`<${nameOf(info.from)}>${info.to === null ? '' : ' (direct)'} ${text}`);
    },
    sent: () => {},
    delivered: (to) => line(`> delivered to ${who(to)}`),
    peers: (peers, unresolved) => line(formatPeerTable(peers, unresolved)),
    info: line,
    problem: (text) => line(`! ${text}`),
  };
}

function jsonOutput(node: MeshNode): Output {
  const emit = (event: string, fields: object) => line(JSON.stringify({ event, time: Date.now(), ...fields }));
  return {
    ready: (self) => emit('ready', { id: self.id, name: self.name, mesh: self.mesh, open: self.openMesh, urls: self.urls, pages: self.pageUrls }),
    discovered: (peer, source) => emit('peer:discovered', { peer, source }),
    connected: (peer) => emit('peer:connected', { peer }),
    disconnected: (peer, reason) => emit('peer:disconnected', { peer, reason }),
    rtt: (peer, rtt) => emit('peer:rtt', { id: peer.id, name: peer.name, rtt, smoothed: peer.rtt.smoothed }),
    lost: (peer) => emit('peer:lost', { peer }),
    rejected: (info) => emit('peer:rejected', info),
    dialFailed: (failure) => emit('peer:dial-failed', failure),
    message: (data, info) => {
      const binary = typeof data !== 'string';
      const name = node.peer(info.from)?.name ?? null;
      emit('message', { ...info, name, binary, data: binary ? data.toString('base64') : data });
    },
    sent: (to, text) => emit('sent', { to: to?.id ?? null, text }),
    delivered: (to) => emit('delivered', { to: to.id, name: to.name }),
    peers: (peers, unresolved) => emit('peers', { peers, pending: unresolved }),
    info: (text) => emit('info', { text }),
    problem: (text) => emit('problem', { text }),
  };
}

export function consoleOutput(json: boolean, node: MeshNode): Output {
  return json ? jsonOutput(node) : humanOutput(node);
}
