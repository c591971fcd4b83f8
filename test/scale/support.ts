import { PeerLink } from '../../src/mesh/link.ts';
import { RawPeer } from '../security/raw-peer.ts';
import type { Received } from '../security/raw-peer.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { knownLinks, type MeshNode } from '../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../src/mesh/options.ts';
import { connectedIds, startNode, waitFor } from '../mesh/support.ts';

/** Mesh message types sent by every link of this process (counted at PeerLink.send, the one exit of a frame). */
export class WireCounter {
  readonly frames = new Map<string, number>();
  readonly bytes = new Map<string, number>();
  readonly #original = PeerLink.prototype.send;

  constructor() {
    const counter = this;
    const original = this.#original;
    PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
      const sent = original.call(this, frame);
      if (sent >= 0) {
        const type = frameType(frame);
        counter.frames.set(type, (counter.frames.get(type) ?? 0) + 1);
        counter.bytes.set(type, (counter.bytes.get(type) ?? 0) + sent);
      }
      return sent;
    };
  }

  count(type: string): number {
    return this.frames.get(type) ?? 0;
  }

  reset(): void {
    this.frames.clear();
    this.bytes.clear();
  }

  restore(): void {
    PeerLink.prototype.send = this.#original;
  }
}

/** The `t` of a frame: text frames are JSON, binary frames have a 4-byte header length then a JSON header. */
function frameType(frame: string | Buffer): string {
  const header = typeof frame === 'string' ? frame.slice(0, 64) : frame.toString('utf8', 4, Math.min(frame.length, 68));
  return /^\{"t":"([a-z-]+)"/.exec(header)?.[1] ?? 'other';
}

/** N in-process nodes, each given every earlier node as a static peer (the full mesh mDNS gives on a LAN). */
export async function startFullMesh(count: number, options: MeshNodeOptions = {}): Promise<MeshNode[]> {
  const nodes: MeshNode[] = [];
  for (let index = 0; index < count; index++) {
    nodes.push(await startNode({ name: `n${index}`, peers: nodes.map((node) => node.urls[0]), ...options }));
  }
  return nodes;
}

/** Every node's table lists every other node as reachable. */
export function tablesComplete(nodes: MeshNode[]): boolean {
  const ids = new Set(nodes.map((node) => node.id));
  return nodes.every((node) => node.peers().filter((peer) => ids.has(peer.id) && peer.reachable).length === nodes.length - 1);
}

/**
 * Every node holds every other node's links record listing all the others: a full mesh whose records are all out
 * (tables can be complete before: direct links alone make peers reachable).
 */
export function recordsComplete(nodes: MeshNode[]): boolean {
  const listsAll = (holder: MeshNode, origin: MeshNode) => nodes.every((other) => other === origin || knownLinks(holder, origin.id)?.includes(other.id));
  return nodes.every((holder) => nodes.every((origin) => origin === holder || listsAll(holder, origin)));
}

export async function waitForFullMesh(nodes: MeshNode[], ms = 60_000): Promise<void> {
  await waitFor(() => nodes.every((node) => connectedIds(node).length === nodes.length - 1) && tablesComplete(nodes), `${nodes.length} nodes fully linked`, ms);
}

/** Ids of the broadcasts each node delivers, in order. */
export function collectBroadcasts(nodes: MeshNode[]): Map<MeshNode, string[]> {
  const received = new Map<MeshNode, string[]>();
  for (const node of nodes) {
    const list: string[] = [];
    received.set(node, list);
    node.on('message', (_data, info) => {
      if (info.to === null) list.push(info.id);
    });
  }
  return received;
}

/** Every running node lists every other running node as reachable, and none of the stopped ones. */
export function tablesAgree(running: MeshNode[], stopped: MeshNode[]): boolean {
  const gone = new Set(stopped.map((node) => node.id));
  return tablesComplete(running) && running.every((node) => node.peers().every((peer) => !gone.has(peer.id) || !peer.reachable));
}

export interface ScaleRawPeer {
  ws: WebSocket;
  /** Its id (from its fresh key). */
  id: string;
  /** Messages the node sent after the handshake (test/security/raw-peer.ts). */
  received: Received[];
  /** Resolves 'welcome' when admitted, or with the close code and reason when refused. */
  outcome: Promise<'welcome' | [code: number, reason: string]>;
  /** Starts the link handshake (at once unless `holdHello`). */
  hello(): void;
}

/**
 * A hostile peer over a raw WebSocket: speaks the link handshake itself (the one place that knows the
 * handshake version, wsmesh.v1 hello/welcome without a secret) and then sends whatever the test wants.
 */
export async function rawPeer(
  url: string,
  name: string,
  options: { kind?: 'node' | 'browser'; localAddress?: string; holdHello?: boolean } = {},
): Promise<ScaleRawPeer> {
  const peer = await RawPeer.open(url, { name, kind: options.kind ?? 'node', localAddress: options.localAddress });
  let start!: () => void;
  const go = new Promise<void>((resolve) => (start = resolve));
  const refusal = async (): Promise<[number, string]> => {
    await peer.waitClosed().catch(() => {});
    return [peer.close?.code ?? 0, peer.close?.reason ?? ''];
  };
  const admitted = async (): Promise<'welcome' | [number, string]> => {
    await peer.handshake();
    // An arbiter raw peer welcomes the node itself: the node may still refuse right behind its hello.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return peer.close === null ? 'welcome' : refusal();
  };
  const outcome = go.then(admitted).catch(refusal);
  if (options.holdHello !== true) start();
  return { ws: peer.ws, id: peer.id, received: peer.received, outcome, hello: start };
}
