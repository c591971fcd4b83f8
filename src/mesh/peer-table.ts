import { backoffDelay } from './backoff.ts';
import type { ReconnectOptions } from './backoff.ts';
import type { PeerKind } from './envelope.ts';
import type { Route } from './topology.ts';

export type PeerState = 'known' | 'connecting' | 'connected' | 'backoff' | 'lost';
/** Where an address came from; 'mesh': another node's links record (the address it reaches that peer at). */
export type AddressSource = 'static' | 'discovery' | 'inbound' | 'mesh';
export type Direction = 'inbound' | 'outbound';

export interface PeerAddress {
  url: string;
  source: AddressSource;
}

/** A snapshot of one peer table entry (times are epoch ms). */
export interface PeerInfo {
  id: string;
  name: string;
  kind: PeerKind;
  addresses: PeerAddress[];
  /** The state of the direct connection to this peer. */
  state: PeerState;
  direction: Direction | null;
  /** Whether messages can reach the peer, directly or through other nodes. */
  reachable: boolean;
  /** The neighbour that relays to this peer when it is not connected directly. */
  via: string | null;
  hops: number | null;
  rtt: { last: number | null; smoothed: number | null };
  lastSeen: number | null;
  connectedSince: number | null;
  failures: number;
  nextRetry: number | null;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** A static address whose peer id is not known yet (it is learnt from the hello when dialled). */
export interface PendingAddress {
  url: string;
  source: AddressSource;
  state: 'known' | 'connecting' | 'backoff';
  failures: number;
  nextRetry: number | null;
}

export interface DialTarget {
  url: string;
  source: AddressSource;
  /** Null while the address is not yet tied to a peer id. */
  peerId: string | null;
}

export interface RouteChanges {
  discovered: PeerInfo[];
  lost: PeerInfo[];
}

const SOURCE_RANK: Record<AddressSource, number> = { static: 3, discovery: 2, inbound: 1, mesh: 0 };
/** Addresses whose dial failures are remembered beyond the peer entry (oldest forgotten first). */
const MAX_REMEMBERED_URLS = 1024;

/** The larger id of a pair dials an address learnt through the mesh only after 1-2 times this, ms. */
const MESH_DIAL_DEFER_MS = 2000;

/** Default of `maxKnownPeers`. */
export const DEFAULT_MAX_KNOWN_PEERS = 4096;

/**
 * The peer table and the dialer's schedule, sans I/O: the node reports what happened (dial started,
 * failed, connected, ...) with the current time, and asks which addresses are due for a dial.
 */
export class PeerTable {
  readonly #peers = new Map<string, PeerInfo>();
  readonly #pending = new Map<string, PendingAddress>();
  /** Pending addresses that a links record names as a node's address, with that node's id (likely the one there). */
  readonly #claimed = new WeakMap<PendingAddress, string>();
  readonly #selfUrls = new Set<string>();
  readonly #dialing = new Set<string>();
  /**
   * Failures per address, kept when the address moves to another peer id or is learnt again: forged mDNS
   * answers that rotate ids cannot make a node dial one address again and again (issue 10 item 11).
   */
  readonly #urlFailures = new Map<string, { failures: number; retryAt: number }>();
  /** Since when each peer is neither connected nor reachable (absent: it is one of them). */
  readonly #unreachableSince = new Map<string, number>();

  /** `maxKnownPeers`: peers learnt through the mesh are not added beyond this many entries. */
  constructor(
    readonly reconnect: ReconnectOptions,
    readonly random: () => number = Math.random,
    readonly maxKnownPeers = DEFAULT_MAX_KNOWN_PEERS,
  ) {}

  get(id: string): PeerInfo | undefined {
    return this.#peers.get(id);
  }

  snapshot(): PeerInfo[] {
    return [...this.#peers.values()].map(copyPeer);
  }

  pendingAddresses(): PendingAddress[] {
    return [...this.#pending.values()].map((pending) => ({ ...pending }));
  }

  isSelfUrl(url: string): boolean {
    return this.#selfUrls.has(url);
  }

  /** Adds a peer, or refreshes its name and kind; `isNew` tells whether `peer:discovered` is due. */
  learn(id: string, name: string, kind: PeerKind, now: number): { peer: PeerInfo; isNew: boolean } {
    const known = this.#peers.get(id);
    if (known !== undefined) {
      known.name = name;
      known.kind = kind;
      return { peer: known, isNew: false };
    }
    const peer: PeerInfo = {
      id, name, kind, addresses: [], state: 'known', direction: null, reachable: false, via: null, hops: null,
      rtt: { last: null, smoothed: null }, lastSeen: null, connectedSince: null, failures: 0, nextRetry: now,
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0,
    };
    this.#peers.set(id, peer);
    this.#unreachableSince.set(id, now);
    return { peer, isNew: true };
  }

  /** A static address with no known id yet; ignored when it is known already or proved to be this node. */
  addPendingAddress(url: string, source: AddressSource, now: number): void {
    if (this.#selfUrls.has(url) || this.#pending.has(url) || this.#ownerOf(url) !== undefined) return;
    this.#pending.set(url, { url, source, state: 'known', failures: 0, nextRetry: now });
  }

  /** Ties an address to a peer (moving it from a pending entry or another peer); the strongest source wins. */
  attachAddress(id: string, url: string, source: AddressSource, now: number): void {
    const peer = this.#peers.get(id);
    if (peer === undefined || this.#selfUrls.has(url)) return;
    let best = source;
    const pending = this.#pending.get(url);
    if (pending !== undefined) {
      best = strongest(best, pending.source);
      this.#pending.delete(url);
    }
    let position = peer.addresses.length;
    for (const other of this.#peers.values()) {
      const index = other.addresses.findIndex((address) => address.url === url);
      if (index === -1) continue;
      best = strongest(best, other.addresses[index].source);
      other.addresses.splice(index, 1);
      if (other !== peer) this.#settleWithoutDial(other);
      else position = index; // an address it already has keeps its place (discovery's order: IPv4 first)
    }
    peer.addresses.splice(position, 0, { url, source: best });
    peer.addresses.sort((a, b) => SOURCE_RANK[b.source] - SOURCE_RANK[a.source]);
    // A peer known only through a relay has no dial scheduled; its first address schedules one.
    const undialled = peer.state !== 'connected' && peer.nextRetry === null && !this.#dialing.has(peer.id);
    const retryAt = Math.max(now, this.#urlFailures.get(url)?.retryAt ?? now);
    if (peer.state === 'lost' || undialled) Object.assign(peer, { state: 'known', nextRetry: retryAt, failures: 0 });
    else if (peer.state === 'known' && peer.nextRetry !== null) peer.nextRetry = Math.max(peer.nextRetry, retryAt);
  }

  /**
   * The addresses discovery lists for a peer now, in its order of preference: those it no longer lists go
   * (e.g. learnt on an interface that went away); static and inbound ones stay.
   */
  setDiscoveredAddresses(id: string, urls: readonly string[], now: number): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    peer.addresses = peer.addresses.filter((address) => address.source !== 'discovery' || urls.includes(address.url));
    for (const url of urls) {
      const known = peer.addresses.find((address) => address.url === url);
      if (known === undefined) this.attachAddress(id, url, 'discovery', now);
      else known.source = strongest(known.source, 'discovery');
    }
    const order = (url: string) => (urls.includes(url) ? urls.indexOf(url) : urls.length);
    peer.addresses.sort((a, b) => SOURCE_RANK[b.source] - SOURCE_RANK[a.source] || order(a.url) - order(b.url));
    this.#settleWithoutDial(peer);
  }

  /**
   * Addresses other nodes reach peers at (from their links records), for peers this table knows without any
   * address: such a peer gets the address (source 'mesh') and a dial. An address already tied to another
   * peer, pending, or this node's own is ignored (a record cannot move an address away from its peer).
   */
  attachMeshAddresses(candidates: Iterable<[id: string, url: string]>, now: number, selfId = ''): number {
    const owned = new Set<string>([...this.#selfUrls, ...this.#pending.keys()]);
    for (const peer of this.#peers.values()) for (const address of peer.addresses) owned.add(address.url);
    let attached = 0;
    for (const [id, url] of candidates) {
      const peer = this.#peers.get(id);
      if (peer === undefined || peer.addresses.length > 0 || peer.state === 'connected' || owned.has(url)) continue;
      owned.add(url);
      peer.addresses.push({ url, source: 'mesh' });
      // Both ends learn each other's address at about the same time: the smaller id dials first, the other
      // only if no link came up meanwhile (one handshake per pair instead of two racing ones).
      const delay = selfId < id ? 0 : MESH_DIAL_DEFER_MS + this.random() * MESH_DIAL_DEFER_MS;
      if (!this.#dialing.has(id)) Object.assign(peer, { state: 'known', nextRetry: now + delay, failures: 0 });
      attached++;
    }
    return attached;
  }

  /** Discovery says the peer is gone: keep only its static addresses; without any, stop dialling it. */
  forgetDiscovered(id: string): PeerInfo | undefined {
    const peer = this.#peers.get(id);
    if (peer === undefined) return undefined;
    peer.addresses = peer.addresses.filter((address) => address.source === 'static');
    if (peer.state !== 'connected' && peer.addresses.length === 0) Object.assign(peer, { state: 'lost', nextRetry: null });
    return peer;
  }

  /** The address led back to this node: never dial it again. */
  markSelf(url: string): void {
    this.#selfUrls.add(url);
    this.#pending.delete(url);
    for (const peer of this.#peers.values()) {
      const before = peer.addresses.length;
      peer.addresses = peer.addresses.filter((address) => address.url !== url);
      if (peer.addresses.length !== before) this.#settleWithoutDial(peer);
    }
  }

  /** Dials started and not yet settled. */
  get dialsInFlight(): number {
    let count = this.#dialing.size;
    for (const pending of this.#pending.values()) if (pending.state === 'connecting') count++;
    return count;
  }

  /** Addresses due for a dial now, one per peer (rotating through its addresses on failures). */
  dueDials(now: number): DialTarget[] {
    const due: DialTarget[] = [];
    for (const peer of this.#peers.values()) {
      if (peer.state === 'connected' || peer.state === 'lost' || this.#dialing.has(peer.id)) continue;
      if (peer.addresses.length === 0 || peer.nextRetry === null || peer.nextRetry > now) continue;
      const address = peer.addresses[peer.failures % peer.addresses.length];
      due.push({ url: address.url, source: address.source, peerId: peer.id });
    }
    for (const pending of this.#pending.values()) {
      if (pending.state === 'connecting' || pending.nextRetry === null || pending.nextRetry > now) continue;
      due.push({ url: pending.url, source: pending.source, peerId: null });
    }
    return due;
  }

  /** The earliest time a dial will be due, or null when none is scheduled. */
  nextDialAt(): number | null {
    let earliest: number | null = null;
    const consider = (time: number | null, eligible: boolean) => {
      if (eligible && time !== null && (earliest === null || time < earliest)) earliest = time;
    };
    for (const peer of this.#peers.values()) {
      consider(peer.nextRetry, peer.state !== 'connected' && peer.state !== 'lost' && peer.addresses.length > 0 && !this.#dialing.has(peer.id));
    }
    for (const pending of this.#pending.values()) consider(pending.nextRetry, pending.state !== 'connecting');
    return earliest;
  }

  dialStarted(target: DialTarget): void {
    const entry = this.#dialEntry(target);
    if (entry === undefined) return;
    if (target.peerId !== null) this.#dialing.add(target.peerId);
    entry.state = 'connecting';
    entry.nextRetry = null;
    // Until this dial ends, the address is not due again under another id.
    const failures = this.#urlFailures.get(target.url)?.failures ?? 0;
    this.#rememberUrl(target.url, failures, Date.now() + backoffDelay(failures + 1, this.reconnect, this.random));
  }

  /** The dial ended without a live connection. `refused`: the peer rejected us (wait the longest backoff). */
  dialFailed(target: DialTarget, now: number, refused = false): void {
    if (target.peerId !== null) this.#dialing.delete(target.peerId);
    const entry = this.#dialEntry(target);
    if (entry === undefined || entry.state === 'connected' || entry.state === 'lost') return;
    entry.failures = Math.max(entry.failures, this.#urlFailures.get(target.url)?.failures ?? 0) + 1;
    entry.state = 'backoff';
    entry.nextRetry = now + (refused ? this.reconnect.max : backoffDelay(entry.failures, this.reconnect, this.random));
    this.#rememberUrl(target.url, entry.failures, entry.nextRetry);
  }

  #rememberUrl(url: string, failures: number, retryAt: number): void {
    this.#urlFailures.delete(url);
    this.#urlFailures.set(url, { failures, retryAt });
    if (this.#urlFailures.size > MAX_REMEMBERED_URLS) this.#urlFailures.delete(this.#urlFailures.keys().next().value!);
  }

  /** The dial reached a peer that was already connected by another connection. */
  dialSuperseded(target: DialTarget): void {
    if (target.peerId !== null) this.#dialing.delete(target.peerId);
    if (target.peerId === null) this.#pending.delete(target.url);
  }

  connected(id: string, direction: Direction, now: number): PeerInfo {
    this.#dialing.delete(id);
    const peer = this.#peers.get(id)!;
    for (const address of peer.addresses) this.#urlFailures.delete(address.url);
    Object.assign(peer, { state: 'connected', direction, connectedSince: now, lastSeen: now, failures: 0, nextRetry: null });
    Object.assign(peer, { reachable: true, via: null, hops: 1 });
    this.#unreachableSince.delete(id);
    return peer;
  }

  /** The live connection ended: redial after the first backoff step when the peer has addresses. */
  /**
   * The peer's link closed. `leaving`: the peer said it is going away (close 1001, e.g. its node stopped): the
   * addresses learnt from its own connection or from other nodes are dropped (only static and discovered ones are
   * redialled), so a node that left is not dialled again and again.
   */
  disconnected(id: string, now: number, leaving = false): PeerInfo | undefined {
    const peer = this.#peers.get(id);
    if (peer === undefined) return undefined;
    if (leaving) peer.addresses = peer.addresses.filter((address) => address.source === 'static' || address.source === 'discovery');
    Object.assign(peer, { direction: null, connectedSince: null, failures: 0, reachable: false, hops: null });
    this.#unreachableSince.set(id, now);
    if (peer.addresses.length === 0) Object.assign(peer, { state: 'lost', nextRetry: null });
    else Object.assign(peer, { state: 'backoff', nextRetry: now + backoffDelay(1, this.reconnect, this.random) });
    return peer;
  }

  recordIn(id: string, bytes: number, now: number): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    peer.messagesIn += 1;
    peer.bytesIn += bytes;
    peer.lastSeen = now;
  }

  recordOut(id: string, bytes: number): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    peer.messagesOut += 1;
    peer.bytesOut += bytes;
  }

  seen(id: string, now: number): void {
    const peer = this.#peers.get(id);
    if (peer !== undefined) peer.lastSeen = now;
  }

  /** Records a round trip; the smoothed value follows RFC 6298 (7/8 old + 1/8 new). */
  recordRtt(id: string, rtt: number, now: number): PeerInfo | undefined {
    const peer = this.#peers.get(id);
    if (peer === undefined) return undefined;
    const smoothed = peer.rtt.smoothed === null ? rtt : peer.rtt.smoothed + (rtt - peer.rtt.smoothed) / 8;
    peer.rtt = { last: rtt, smoothed };
    peer.lastSeen = now;
    return peer;
  }

  /** Applies the routes through the mesh: peers reachable only through others, and peers no longer reachable. */
  applyRoutes(routes: Map<string, Route>, now: number): RouteChanges {
    const changes: RouteChanges = { discovered: [], lost: [] };
    for (const [id, route] of routes) {
      let peer = this.#peers.get(id);
      if (peer === undefined) {
        if (this.#peers.size >= this.maxKnownPeers) continue;
        peer = this.learn(id, route.name, route.kind, now).peer;
        peer.nextRetry = null;
        changes.discovered.push(peer);
      }
      this.#unreachableSince.delete(id);
      if (peer.state === 'connected') continue;
      // A peer may rejoin under another name (a page whose user picked one): the latest route says it.
      peer.name = route.name;
      if (peer.state === 'lost' && peer.addresses.length === 0) peer.state = 'known';
      Object.assign(peer, { reachable: true, via: route.via, hops: route.hops });
    }
    for (const peer of this.#peers.values()) {
      if (routes.has(peer.id) || peer.state === 'connected' || !peer.reachable) continue;
      Object.assign(peer, { reachable: false, via: null, hops: null });
      this.#unreachableSince.set(peer.id, now);
      if (peer.addresses.length === 0) {
        Object.assign(peer, { state: 'lost', nextRetry: null });
        changes.lost.push(peer);
      }
    }
    return changes;
  }

  /**
   * Forgets peers that have been neither connected nor reachable for `forgetAfter` ms (a stopped node is not
   * redialled forever): their entries go, a static address goes back to the addresses dialled without a known
   * id (at the longest backoff). Returns the entries forgotten.
   */
  expire(now: number, forgetAfter: number): PeerInfo[] {
    const forgotten: PeerInfo[] = [];
    for (const [id, since] of this.#unreachableSince) {
      if (now - since < forgetAfter || this.#dialing.has(id)) continue;
      const peer = this.#peers.get(id);
      this.#unreachableSince.delete(id);
      if (peer === undefined || peer.state === 'connected' || peer.reachable) continue;
      this.#peers.delete(id);
      forgotten.push(peer);
      for (const address of peer.addresses) {
        if (address.source !== 'static') continue;
        this.#pending.set(address.url, { url: address.url, source: 'static', state: 'backoff', failures: 0, nextRetry: now + this.reconnect.max });
      }
    }
    return forgotten;
  }

  get size(): number {
    return this.#peers.size;
  }

  /** Addresses whose peer id is not known yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Addresses other nodes reach nodes at (from their links records): those among the pending addresses are noted
   * with the id given for them (see `claimedId`, `unclaimedPendingCount`); nothing is attached or dialled.
   * Returns how many were not claimed before (the count of known nodes changed: dials may be due).
   */
  claimPending(candidates: Iterable<[id: string, url: string]>): number {
    if (this.#pending.size === 0) return 0;
    let claimed = 0;
    for (const [id, url] of candidates) {
      const pending = this.#pending.get(url);
      if (pending === undefined) continue;
      if (!this.#claimed.has(pending)) claimed++;
      this.#claimed.set(pending, id);
    }
    return claimed;
  }

  /** Pending addresses that links records give no node for: each is likely a node not known by id yet. */
  get unclaimedPendingCount(): number {
    let count = 0;
    for (const pending of this.#pending.values()) if (!this.#claimed.has(pending)) count++;
    return count;
  }

  /** The id a links record gives for a pending address (not proven: the handshake proves who is there). */
  claimedId(url: string): string | undefined {
    const pending = this.#pending.get(url);
    return pending === undefined ? undefined : this.#claimed.get(pending);
  }

  /** Peers known by id and neither connected nor reachable. */
  get unreachableCount(): number {
    return this.#unreachableSince.size;
  }

  /** Entries of kind 'node' (browser peers are leaves, never dialled). */
  get nodeCount(): number {
    let count = 0;
    for (const peer of this.#peers.values()) if (peer.kind === 'node') count++;
    return count;
  }

  #ownerOf(url: string): PeerInfo | undefined {
    for (const peer of this.#peers.values()) {
      if (peer.addresses.some((address) => address.url === url)) return peer;
    }
    return undefined;
  }

  #dialEntry(target: DialTarget): PeerInfo | PendingAddress | undefined {
    return target.peerId === null ? this.#pending.get(target.url) : this.#peers.get(target.peerId);
  }

  #settleWithoutDial(peer: PeerInfo): void {
    if (peer.addresses.length === 0 && peer.state !== 'connected' && !peer.reachable) {
      Object.assign(peer, { state: 'lost', nextRetry: null });
    }
  }
}

function strongest(a: AddressSource, b: AddressSource): AddressSource {
  return SOURCE_RANK[a] >= SOURCE_RANK[b] ? a : b;
}

/** A copy of an entry that shares nothing with the table (a field-wise copy: structuredClone cost 10-16 us each). */
export function copyPeer(peer: PeerInfo): PeerInfo {
  return { ...peer, addresses: peer.addresses.map((address) => ({ ...address })), rtt: { ...peer.rtt } };
}
