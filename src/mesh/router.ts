import { CloseCode } from '../protocol/constants.ts';
import { MeshCloseCode } from './close-codes.ts';
import { encodeControl, envelopeSignatureProblem } from './envelope.ts';
import type { AckMessage, AppMessage, SignedMessage } from './envelope.ts';
import type { DecodedFrame, LinkEntry, LinksMessage, MeshMessage, PeersMessage } from './envelope.ts';
import type { DisconnectReason, PeerLink } from './link.ts';
import { wsUrl } from './listen-urls.ts';
import { Messenger } from './messenger.ts';
import type { MessageInfo, MessengerHost } from './messenger.ts';
import type { ResolvedOptions } from './options.ts';
import { DialPolicy, MIN_PEERS_TO_MAKE_ROOM } from './dial-policy.ts';
import { copyPeer } from './peer-table.ts';
import type { PeerInfo, PeerTable } from './peer-table.ts';
import { RecordSync } from './record-sync.ts';
import { Topology } from './topology.ts';
import type { Route } from './topology.ts';
import { LANE_ESTABLISHED, turnBudget } from '../transport/turn-budget.ts';

/** Changes within this many ms reach browser peers in one `peers` message. */
const PEERS_PUSH_DELAY_MS = 100;
/** Routes are recomputed at most once per this many ms, however many records arrive. */
export const ROUTES_BATCH_MS = 100;
export interface RouterEvents {
  discovered(peer: PeerInfo, source: string): void;
  lost(peer: PeerInfo): void;
  connected(peer: PeerInfo): void;
  disconnected(peer: PeerInfo, reason: DisconnectReason): void;
  deliver(data: string | Buffer, info: MessageInfo): void;
  /** Peers got addresses to dial (learnt from links records), or records told how many nodes there are. */
  dialsDue(): void;
}

/**
 * The node's live links and everything that travels over them once established: admission and dedup, the
 * `links` records (`RecordSync`), routes, and the messenger's traffic.
 */
export class MeshRouter implements MessengerHost {
  /** One established link per neighbour id. */
  readonly live = new Map<string, PeerLink>();
  readonly topology: Topology;
  readonly messenger: Messenger;
  #routes = new Map<string, Route>();
  /** This node's own links record and the sync of everyone else's. */
  readonly #records: RecordSync;
  #stopped = false;
  readonly #flushTimer: NodeJS.Timeout;
  #peersPush: NodeJS.Timeout | undefined;
  #routesTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly self: { id: string; name: string; boot: string; table: PeerTable },
    readonly options: ResolvedOptions,
    readonly events: RouterEvents,
    /** Signs a message as this node (envelope.ts signEnvelope with the node's identity). */
    readonly signer: <T extends SignedMessage>(message: T, payload?: Uint8Array) => T,
  ) {
    this.dials = new DialPolicy(self.id, self.table, options.maxPeers);
    this.topology = new Topology(self.id, (id) => this.#routes.has(id), undefined, undefined, () => this.#neighbourEntries());
    this.messenger = new Messenger(this, {
      ttl: options.ttl,
      sendTimeout: options.sendTimeout,
      outboxLimit: options.outboxLimit,
      retransmitAfter: options.pingInterval + options.pingTimeout,
      maxPayload: options.maxPayload,
    });
    this.#records = new RecordSync({
      self,
      topology: this.topology,
      tree: this.messenger.tree,
      signer,
      live: this.live,
      send: (link, frame) => this.#sendOn(link, frame),
      neighbourEntries: () => this.#neighbourEntries(),
      nodeLinks: () => this.#nodeLinks(),
      nextHop: (id) => this.nextHop(id),
      recordsChanged: () => this.#scheduleRoutes(),
    });
    this.#flushTimer = setInterval(() => {
      const now = Date.now();
      this.messenger.flush(now);
      this.#expire(now);
      this.#schedulePeersPush();
    }, options.pingInterval);
  }

  get selfId(): string {
    return this.self.id;
  }

  sign<T extends AppMessage | AckMessage>(message: T, payload?: Uint8Array): T {
    return this.signer(message, payload);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#flushTimer);
    clearTimeout(this.#peersPush);
    clearTimeout(this.#routesTimer);
    this.#records.stop();
    this.messenger.stop();
  }

  /** Whether to admit a verified connection (null: yes). Only the arbiter settles duplicates. */
  admit(link: PeerLink, arbiter: boolean): { code: number; reason: string } | null {
    const remote = link.remote!;
    const existing = this.live.get(remote.id);
    if (arbiter && existing !== undefined && existing.remote!.boot === remote.boot) {
      return { code: MeshCloseCode.Duplicate, reason: 'this pair already has a connection' };
    }
    // Links admitted but not yet established (waiting for the welcome) hold a slot too.
    if (existing === undefined && this.live.size + this.#admitted.size >= this.options.maxPeers && !this.#makeRoomFor(remote.id)) {
      return { code: MeshCloseCode.TooManyPeers, reason: `node has its maximum of ${this.options.maxPeers} peers` };
    }
    const address = link.direction === 'inbound' ? link.remoteAddress : undefined;
    if (address !== undefined) {
      let fromAddress = 0;
      for (const other of this.live.values()) if (other !== existing && other.direction === 'inbound' && other.remoteAddress === address) fromAddress++;
      const limit = this.options.maxPeersPerAddress;
      if (fromAddress >= limit) return { code: MeshCloseCode.TooManyPeers, reason: `${fromAddress} peers from ${address} already (maxPeersPerAddress ${limit})` };
    }
    if (existing === undefined) this.#admitted.add(link);
    return null;
  }

  /**
   * All slots are taken. A newcomer with few links (fewer than `dials.target()`: a node that is joining, or cut
   * off) still gets in when a neighbour with many links can spare one: that link is closed (4008, and its other end has other links).
   * Each such swap moves a link from a node with at least two more links than the newcomer, so it cannot go on
   * forever; and a mesh of more nodes than `maxPeers` stays connected as nodes join. Not with a `maxPeers` below
   * `MIN_PEERS_TO_MAKE_ROOM` (a node limited to very few peers keeps the ones it has).
   */
  #makeRoomFor(newcomer: string): boolean {
    if (this.options.maxPeers < MIN_PEERS_TO_MAKE_ROOM) return false;
    const newcomerDegree = this.topology.degreeOf(newcomer) ?? 0;
    if (newcomerDegree >= this.dials.target()) return false;
    let victim: PeerLink | null = null;
    let victimDegree = newcomerDegree + 1;
    for (const link of this.#nodeLinks()) {
      const degree = this.topology.degreeOf(link.remote!.id) ?? 0;
      if (degree > victimDegree) [victim, victimDegree] = [link, degree];
    }
    if (victim === null) return false;
    const reason = 'making room for a node with fewer links';
    this.live.delete(victim.remote!.id);
    victim.close(MeshCloseCode.TooManyPeers, reason);
    this.#linkDown(victim.remote!.id, { type: 'close', code: MeshCloseCode.TooManyPeers, reason, by: 'local' });
    return true;
  }

  readonly #admitted = new Set<PeerLink>();

  /** How many links this node dials for, and when (see DialPolicy). */
  readonly dials: DialPolicy;

  established(link: PeerLink): void {
    this.#admitted.delete(link);
    const remote = link.remote!;
    const now = Date.now();
    const { table } = this.self;
    const existing = this.live.get(remote.id);
    if (existing !== undefined && existing !== link) {
      this.live.delete(remote.id);
      existing.close(MeshCloseCode.Duplicate, 'replaced by a newer connection');
      this.#linkDown(remote.id, { type: 'close', code: MeshCloseCode.Duplicate, reason: 'replaced by a newer connection', by: 'local' });
    }
    const { peer, isNew } = table.learn(remote.id, remote.name, remote.kind, now);
    const target = link.target;
    if (target !== null) {
      if (target.peerId !== null && target.peerId !== remote.id) table.dialFailed(target, now);
      table.attachAddress(remote.id, target.url, target.source, now);
    } else if (remote.listen.length > 0 && link.remoteAddress !== undefined) {
      const listen = new URL(remote.listen[0]);
      const port = Number(listen.port || (listen.protocol === 'wss:' ? 443 : 80));
      table.attachAddress(remote.id, wsUrl(link.remoteAddress, port), 'inbound', now);
    }
    if (isNew) this.events.discovered(copyPeer(peer), target?.source ?? 'inbound');
    this.live.set(remote.id, link);
    this.events.connected(copyPeer(table.connected(remote.id, link.direction, now)));
    if (remote.kind === 'node') this.#records.linkUp(link);
    this.#records.scheduleLinks();
    this.#scheduleRoutes();
    // A page that joins gets its node's peer table without waiting for the routes batch.
    this.#schedulePeersPush();
  }

  /** A link closed; true when it was the live link of its peer (then `disconnected` was emitted). */
  closed(link: PeerLink, reason: DisconnectReason): boolean {
    this.#admitted.delete(link);
    const id = link.remote?.id;
    if (id === undefined || this.live.get(id) !== link) return false;
    this.live.delete(id);
    this.#linkDown(id, reason);
    return true;
  }

  frame(link: PeerLink, frame: DecodedFrame, bytes: number): void {
    const from = link.remote!.id;
    const { message } = frame;
    this.self.table.recordIn(from, bytes, Date.now());
    if (link.remote!.kind === 'browser' && !speaksForItself(from, message)) {
      return link.close(MeshCloseCode.BadMessage, `a browser peer may only send its own messages, got ${message.t}`);
    }
    if (message.t === 'msg' && message.seq === undefined) return link.close(MeshCloseCode.BadMessage, 'a msg without "seq"');
    // A broadcast its origin sent over its own link that goes no further from here: the link proves the origin
    // (as for a direct message); the signature is checked only if a graft asks this node to pass it on.
    const deferred = message.t === 'msg' && message.to === null && message.from === from && !this.messenger.tree.has(message.id) && !this.messenger.tree.relays(from, from);
    if (!deferred && this.#usable(message) && !isFromNeighbourForUs(message, from, this.self.id)) {
      // Signed by its origin, checked by every node it reaches before anything else (relaying included).
      const problem = envelopeSignatureProblem(message, frame.payload);
      if (problem !== null) return link.close(MeshCloseCode.BadMessage, `unverifiable ${message.t}: ${problem}`);
    }
    switch (message.t) {
      case 'msg':
        return this.messenger.receiveApp(from, message, frame.payload, deferred ? () => envelopeSignatureProblem(message, frame.payload) === null : undefined);
      case 'ack':
        return this.messenger.receiveAck(from, message);
      case 'links':
        return this.#records.onLinks(link, message);
      case 'digest':
        return this.#records.onDigest(link, message);
      case 'ihave':
      case 'graft':
      case 'prune':
        return this.messenger.receiveTree(from, message);
      default:
        return link.close(MeshCloseCode.BadMessage, `unexpected ${message.t} after the handshake`);
    }
  }

  /**
   * Whether a signed message will be used (relayed, delivered, stored): those are verified. A copy of a broadcast
   * already seen or a links record not newer than the stored one is dropped unverified (its signature would change
   * nothing: it is not passed on). Messages of types that carry no signature are never 'usable' here.
   */
  #usable(message: MeshMessage): message is SignedMessage {
    switch (message.t) {
      case 'msg':
        return message.to !== null || !this.messenger.tree.has(message.id);
      case 'ack':
        return true;
      case 'links':
        return message.origin === this.self.id || (this.topology.isNewer(message) && !this.topology.isWaiting(message));
      default:
        return false;
    }
  }

  nextHop(to: string): string | null {
    if (this.live.has(to)) return to;
    const via = this.#routes.get(to)?.via;
    return via !== undefined && this.live.has(via) ? via : null;
  }

  transmit(neighbourId: string, frame: string | Buffer): boolean {
    const link = this.live.get(neighbourId);
    return link !== undefined && this.#sendOn(link, frame);
  }

  neighbourIds(): string[] {
    return [...this.live.keys()];
  }

  isLeaf(id: string): boolean {
    return this.live.get(id)?.remote!.kind === 'browser';
  }

  /**
   * The nodes a node's links record lists; for this node, its published record (what the others plan with). The
   * same array while the record is the same (the broadcast tree keeps what it derives from it).
   */
  linksOf(id: string): readonly string[] | undefined {
    const record = id === this.self.id ? this.#records.published : this.topology.record(id);
    if (record === null || record === undefined) return undefined;
    let links = this.#linkIds.get(record);
    if (links === undefined) {
      links = record.links.filter((entry) => entry.kind === 'node').map((entry) => entry.id);
      this.#linkIds.set(record, links);
    }
    return links;
  }

  readonly #linkIds = new WeakMap<LinksMessage, string[]>();

  /** The node whose links record lists this browser peer (the smallest id if several do); this node's published record included. */
  homeOf(id: string): string | undefined {
    let home: string | undefined;
    for (const record of [...this.topology.records(), this.#records.published]) {
      if (record === null || (home !== undefined && record.origin >= home)) continue;
      if (record.links.some((entry) => entry.id === id && entry.kind === 'browser')) home = record.origin;
    }
    return home;
  }

  isKnownPeer(id: string): boolean {
    return this.self.table.get(id) !== undefined;
  }

  deliver(data: string | Buffer, info: MessageInfo): void {
    this.events.deliver(data, info);
  }

  #sendOn(link: PeerLink, frame: string | Buffer): boolean {
    const bytes = link.send(frame);
    if (bytes < 0) return false;
    this.self.table.recordOut(link.remote!.id, bytes);
    return true;
  }

  #linkDown(id: string, reason: DisconnectReason): void {
    const leaving = reason.type === 'close' && reason.by === 'remote' && reason.code === CloseCode.GoingAway;
    // A node going away (a page has no record of its own that could bring it back: not for pages).
    if (leaving && this.self.table.get(id)?.kind === 'node') this.topology.departed(id);
    const peer = this.self.table.disconnected(id, Date.now(), leaving);
    this.messenger.linkLost(id);
    if (peer !== undefined) this.events.disconnected(copyPeer(peer), reason);
    // A peer that left with no address to redial is lost now (not only once forgotten).
    if (leaving && peer?.state === 'lost') this.events.lost(copyPeer(peer));
    this.#records.scheduleLinks();
    this.#scheduleRoutes();
  }

  #neighbourEntries(): LinkEntry[] {
    return [...this.live.values()].map((link) => {
      const { id, name, kind } = link.remote!;
      const url = kind === 'node' ? this.self.table.get(id)?.addresses[0]?.url : undefined;
      return url === undefined ? { id, name, kind } : { id, name, kind, url };
    });
  }

  /** Forgets peers and records of nodes unreachable for `forgetAfter`. */
  #expire(now: number): void {
    this.topology.expire(now, this.options.forgetAfter);
    this.#records.expire();
    for (const peer of this.self.table.expire(now, this.options.forgetAfter)) {
      if (peer.state !== 'lost') this.events.lost(copyPeer({ ...peer, state: 'lost' as const }));
    }
  }

  #scheduleRoutes(): void {
    this.#routesTimer ??= setTimeout(() => turnBudget.run(LANE_ESTABLISHED, () => {
      this.#routesTimer = undefined;
      if (!this.#stopped) this.#updateRoutes();
    }), ROUTES_BATCH_MS);
  }

  #updateRoutes(): void {
    this.#routes = this.topology.routes(this.#neighbourEntries());
    const changes = this.self.table.applyRoutes(this.#routes, Date.now());
    for (const peer of changes.discovered) this.events.discovered(copyPeer(peer), 'mesh');
    for (const peer of changes.lost) this.events.lost(copyPeer(peer));
    // A neighbour linked to nobody else (a leaf, the end of a line) is reached only over this link: make it a
    // tree link at once instead of after a graft.
    for (const link of this.#nodeLinks()) {
      const id = link.remote!.id;
      if (this.topology.record(id)?.links.every((entry) => entry.id === this.self.id || entry.kind !== 'node')) this.messenger.tree.makeEager(id);
    }
    // The addresses records give: dialled (dialLearnt), and static addresses they name tell how many nodes there
    // are (see DialPolicy).
    const { table } = this.self;
    if (this.options.dialLearnt || table.pendingCount > 0) {
      const addresses: Array<[string, string]> = [];
      for (const record of this.topology.records()) {
        for (const entry of record.links) if (entry.url !== undefined && entry.id !== this.self.id) addresses.push([entry.id, entry.url]);
      }
      let dialsDue = table.claimPending(addresses) > 0;
      if (this.options.dialLearnt && table.attachMeshAddresses(addresses, Date.now(), this.self.id) > 0) dialsDue = true;
      if (dialsDue) this.events.dialsDue();
    }
    this.messenger.flush(Date.now());
    this.#schedulePeersPush();
  }

  /**
   * Browser peers cannot follow `links` records, so the node tells them its peer table in a `peers`
   * message: soon after any change (coalesced) and every `pingInterval` for fresh RTTs.
   */
  #schedulePeersPush(): void {
    if (this.#peersPush !== undefined || this.#browserLinks().length === 0) return;
    this.#peersPush = setTimeout(() => {
      this.#peersPush = undefined;
      const peers = this.self.table.snapshot().map(({ id, name, kind, state, direction, reachable, via, hops, rtt }) => ({
        id, name, kind, state, direction, reachable, via, hops, rtt: rtt.smoothed,
      }));
      const message: PeersMessage = { t: 'peers', peers };
      const frame = encodeControl(message);
      for (const link of this.#browserLinks()) this.#sendOn(link, frame);
    }, PEERS_PUSH_DELAY_MS);
  }

  /** Links to nodes (browser peers are leaves: they get no records). */
  #nodeLinks(): PeerLink[] {
    return [...this.live.values()].filter((link) => link.remote!.kind === 'node');
  }

  #browserLinks(): PeerLink[] {
    return [...this.live.values()].filter((link) => link.remote!.kind === 'browser');
  }
}

/**
 * A direct message or ack that its origin sent straight to this node over their link: the Noise handshake proved
 * the link's peer holds the origin's key, so `from` is authentic without the signature, and the message goes no
 * further (nothing is relayed on its word). Everything else (relayed, or to be relayed) is verified.
 */
function isFromNeighbourForUs(message: SignedMessage, neighbour: string, selfId: string): boolean {
  return message.t !== 'links' && message.from === neighbour && message.to === selfId;
}

/** Browser peers are leaves: they relay nothing, so whatever they send must come from themselves. */
function speaksForItself(id: string, message: MeshMessage): boolean {
  return (message.t === 'msg' || message.t === 'ack') && message.from === id;
}
