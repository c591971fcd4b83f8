import { EventEmitter } from 'node:events';
import { WsmeshError } from '../../errors.ts';
import os from 'node:os';
import { meshTag, type DiscoveredPeer, type Discovery, type DiscoveryEvents, type LocalService } from '../discovery.ts';
import { MDNS_PORT, RecordType, SERVICE_TYPE } from './constants.ts';
import { ContainedParser, type ContainedParserOptions } from './contained-parser.ts';
import {
  addressOnLink,
  arrivalInterface,
  interfaceNames,
  isLoopback,
  sameLinkAs,
  selectInterfaces,
  withoutZone,
  type InterfaceTable,
  type SelectedInterface,
} from './interfaces.ts';
import { assembleMessage, type MdnsMessage, type MdnsRecord } from './message.ts';
import { buildOwnService } from './own-service.ts';
import { guardPacket } from './packet-guard.ts';
import { encodeMessage, type OutgoingMessage, type OutgoingQuestion, type OutgoingRecord } from './packet-writer.ts';
import { buildPeerView, diffPeers, type ViewContext } from './peer-view.ts';
import { QuerySchedule } from './query-schedule.ts';
import { RecordCache } from './record-cache.ts';
import { announcement, answerQuestions, legacyUnicastReply, type Answer, type OwnService } from './responder.ts';
import { UdpTransport, type MdnsTransport, type RemoteInfo } from './udp-transport.ts';

export interface MdnsDiscoveryOptions {
  /**
   * Network interface to run on (e.g. `eth0`, or `lo` for a single machine), over IPv4 and IPv6.
   * Default: every non-internal one, followed as interfaces come and go.
   */
  interface?: string;
  /** ms between looks at the interface table for interfaces that came, went or changed address. Default 1000. */
  watchInterval?: number;
  /** Most peers held from mDNS at once; records of further ones are not used. Default 256. */
  maxPeers?: number;
  /** Cap of the query backoff in ms. Default 60 000. */
  queryIntervalMax?: number;
  /** ms between attempts to bring mDNS up after it was unavailable. Default 10 000. */
  retryInterval?: number;
  /** Watchdog settings of the worker that runs mdns-js's parser. */
  parser?: ContainedParserOptions;
  /** Diagnostic lines (rejected packets, parser restarts, send errors). Default: none. */
  log?: (line: string) => void;
  /** For tests: the network (default: UDP on port 5353). */
  transport?: MdnsTransport;
  /** For tests: the interface table (default: `os.networkInterfaces()`). */
  networkInterfaces?: () => InterfaceTable;
}

export interface MdnsDiscoveryStats {
  received: number;
  /** Messages refused before reaching mdns-js's parser, by reason. */
  rejected: Record<string, number>;
  /** Messages the contained parser failed on, stalled on, or refused. */
  unparsed: number;
  parserRestarts: number;
  sent: number;
  sendErrors: number;
  /** Interface changes seen by the watcher. */
  interfaceChanges: number;
}

type State = 'idle' | 'running' | 'down' | 'stopped';

const ANNOUNCE_GAP_MS = 1000;
const MIN_MULTICAST_GAP_MS = 1000;
const RESOLVE_DELAY_MS = 250;
const OWN_ECHO_MS = 2000;

const recordKey = (record: OutgoingRecord, link: string): string =>
  `${link}|${record.name}|${record.data.kind}|${'address' in record.data ? record.data.address : ''}`;
const interfaceKey = (entry: SelectedInterface): string => `${entry.name}|${entry.address}|${entry.netmask}`;
const OUTSIDE_SUBNET = "an address outside the receiving interface's subnet";

/**
 * DNS-SD over mDNS discovery of wsmesh nodes, with mdns-js contained: every received message passes the
 * guard, then mdns-js's parser in a watched worker; browsing, caching, answering and announcing are ours.
 */
export class MdnsDiscovery extends EventEmitter<DiscoveryEvents> implements Discovery {
  readonly stats: MdnsDiscoveryStats = { received: 0, rejected: {}, unparsed: 0, parserRestarts: 0, sent: 0, sendErrors: 0, interfaceChanges: 0 };
  private readonly options: MdnsDiscoveryOptions;
  private readonly transport: MdnsTransport;
  private readonly cache = new RecordCache();
  private readonly queries: QuerySchedule;
  private readonly lastMulticast = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ownQueryIds = new Map<number, number>();
  private parser: ContainedParser | null = null;
  private state: State = 'idle';
  private self: LocalService | null = null;
  private context: Omit<ViewContext, 'allowLoopback'> | null = null;
  private interfaces: SelectedInterface[] = [];
  private peers = new Map<string, DiscoveredPeer>();
  private readonly pendingResponses = new Map<string, Answer>();
  private watchTimer: NodeJS.Timeout | null = null;
  private watching = false;
  private cacheTimer: NodeJS.Timeout | null = null;
  private resolveTimer: NodeJS.Timeout | null = null;
  private reportedUnavailable = false;

  constructor(options: MdnsDiscoveryOptions = {}) {
    super();
    this.options = options;
    this.transport = options.transport ?? new UdpTransport();
    this.transport.on('message', (message, remote) => void this.receive(message, remote));
    this.transport.on('error', (error) => void this.goDown(`the mDNS socket failed: ${error.message}`));
    this.queries = new QuerySchedule((first) => this.sendQuery([], first), { maxInterval: options.queryIntervalMax });
  }

  /** The peers currently known (a snapshot). */
  knownPeers(): DiscoveredPeer[] {
    return [...this.peers.values()];
  }

  async start(self: LocalService): Promise<void> {
    if (this.state !== 'idle') throw new WsmeshError('invalid-state', `MdnsDiscovery.start() called twice (state: ${this.state})`);
    this.self = self;
    this.state = 'down';
    this.watchTimer = setInterval(() => void this.watch(), this.options.watchInterval ?? 1000);
    this.watchTimer.unref();
    await this.bringUp();
  }

  async stop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.queries.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.watchTimer) clearInterval(this.watchTimer);
    if (this.cacheTimer) clearTimeout(this.cacheTimer);
    if (this.resolveTimer) clearTimeout(this.resolveTimer);
    if (wasRunning) {
      // Goodbye first (RFC 6762 §10.1), and only once it has left, close the socket (mdns-js bug 4).
      await Promise.all(interfaceNames(this.interfaces).map((link) => this.send(encodeMessage(announcement(this.ownOn(link), 0)), link)));
    }
    await this.transport.close();
    await this.parser?.close();
    this.parser = null;
    this.cache.clear();
    this.peers.clear();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private later(delay: number, job: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      job();
    }, delay);
    this.timers.add(timer);
  }

  private readInterfaces() {
    return selectInterfaces((this.options.networkInterfaces ?? os.networkInterfaces)(), this.options.interface);
  }

  /**
   * This node's records as sent on interface `link`: with that interface's addresses only (RFC 6762 §6.2), and
   * those of the other interfaces on the same link (§14; see sameLinkAs).
   */
  private ownOn(link: string, interfaces: readonly SelectedInterface[] = this.interfaces): OwnService {
    const links = sameLinkAs(link, interfaces);
    const addresses = links.flatMap((name) => interfaces.filter((entry) => entry.name === name).map((entry) => entry.address));
    return buildOwnService(this.self!, addresses);
  }

  private bringingUp = false;

  private async bringUp(): Promise<void> {
    if (this.bringingUp) return;
    this.bringingUp = true;
    try {
      await this.tryBringUp();
    } finally {
      this.bringingUp = false;
    }
  }

  private async tryBringUp(): Promise<void> {
    const choice = this.readInterfaces();
    if (!choice.ok) return this.goDown(choice.reason);
    try {
      await this.transport.open(choice.interfaces);
    } catch (error) {
      const names = [...new Set(choice.interfaces.map((entry) => entry.name))].join(', ');
      return this.goDown(`cannot join the mDNS group on ${names}: ${(error as Error).message}`);
    }
    if (this.state !== 'down') {
      await this.transport.close();
      return;
    }
    const self = this.self!;
    await this.parser?.close();
    this.interfaces = choice.interfaces;
    this.context = { selfId: self.id, meshTag: meshTag(self.mesh), version: self.version, maxPeers: this.options.maxPeers ?? 256 };
    this.parser = new ContainedParser(this.options.parser);
    this.parser.on('restart', (reason) => {
      this.stats.parserRestarts++;
      this.log(`mdns-js parser restarted: ${reason}`);
    });
    this.state = 'running';
    this.log(`mDNS running on ${choice.interfaces.map((entry) => `${entry.name} ${entry.address}`).join(', ')}`);
    this.announce(interfaceNames(choice.interfaces));
    this.queries.start();
  }

  private get allowLoopback(): boolean {
    return this.interfaces.every((entry) => isLoopback(entry.address));
  }

  /**
   * Follows the interface table: on interfaces that appeared (or got new addresses) joins the groups, announces
   * twice (RFC 6762 §8.3) and asks; on addresses that went, says goodbye for them where the interface can still
   * send (over its other family); forgets what was learnt only through interfaces that are gone.
   */
  private async watch(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      if (this.state === 'down') {
        if (this.readInterfaces().ok) await this.bringUp();
        return;
      }
      if (this.state !== 'running') return;
      const choice = this.readInterfaces();
      const next = choice.ok ? choice.interfaces : [];
      const before = new Set(this.interfaces.map(interfaceKey));
      const after = new Set(next.map(interfaceKey));
      if (before.size === after.size && [...after].every((key) => before.has(key))) return;
      this.stats.interfaceChanges++;
      const previous = this.interfaces;
      const changed = new Set<string>();
      for (const entry of [...previous, ...next]) if (before.has(interfaceKey(entry)) !== after.has(interfaceKey(entry))) changed.add(entry.name);
      for (const link of changed) {
        const gone = previous.filter((entry) => entry.name === link && !after.has(interfaceKey(entry)));
        if (gone.length === 0) continue;
        const stillThere = next.some((entry) => entry.name === link);
        const records = announcement(this.ownOn(link, gone), 0);
        // An interface that is gone gets the whole goodbye (it fails when it cannot send any more).
        await this.send(encodeMessage(stillThere ? { response: true, answers: records.additionals ?? [] } : records), link);
      }
      this.interfaces = next;
      this.log(`mDNS interfaces now: ${next.map((entry) => `${entry.name} ${entry.address}`).join(', ') || 'none'}`);
      try {
        await this.transport.update(next);
      } catch (error) {
        this.log(`mDNS group membership: ${(error as Error).message}`);
      }
      if (this.state !== 'running') return;
      const links = new Set(interfaceNames(next));
      const allowLoopback = this.allowLoopback;
      this.cache.drop((entry) => {
        if (!links.has(entry.link)) return true;
        const address = entry.record.address;
        return address !== undefined && addressOnLink(address, entry.link, next, allowLoopback) === null;
      });
      const grown = [...changed].filter((link) => next.some((entry) => entry.name === link && !before.has(interfaceKey(entry))));
      if (grown.length > 0) {
        this.announce(grown);
        // The query schedule starts over (RFC 6762 §5.2: 20-120 ms, then 1 s, doubling): a single query, whose
        // answers can be lost while the new interface settles, left the next one to the old schedule, up to
        // `queryIntervalMax` (60 s) later. On every interface: connectivity changed.
        this.queries.start();
      }
      // An interface sharing its link with one that changed announces its new address set: the cache-flush
      // bits make the receivers drop addresses of the shared link that are gone (RFC 6762 §10.2, §14).
      const sharing = interfaceNames(next).filter((link) => !changed.has(link) && sameLinkAs(link, previous).concat(sameLinkAs(link, next)).some((name) => changed.has(name)));
      if (sharing.length > 0) this.announce(sharing);
      this.refreshView();
    } finally {
      this.watching = false;
    }
  }

  /** mDNS cannot run (now): say so once, keep running without it, and try again later. */
  private async goDown(reason: string): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'down';
    if (wasRunning) {
      this.queries.stop();
      await this.transport.close().catch(() => {});
    }
    if (!this.reportedUnavailable) {
      this.reportedUnavailable = true;
      this.emit('unavailable', `mDNS discovery is unavailable: ${reason}. Static peers still work.`);
    }
    this.log(`mDNS down: ${reason}`);
    this.later(this.options.retryInterval ?? 10_000, () => {
      if (this.state === 'down') void this.bringUp();
    });
  }

  /** Sends to `to` by unicast, or by multicast on interface `to`. */
  private async send(message: Buffer, to: RemoteInfo | string): Promise<void> {
    try {
      if (typeof to === 'string') await this.transport.sendMulticast(message, to);
      else await this.transport.sendUnicast(message, to);
      this.stats.sent++;
    } catch (error) {
      this.stats.sendErrors++;
      this.log(`mDNS send failed: ${(error as Error).message}`);
    }
  }

  private multicast(message: OutgoingMessage, link: string): void {
    const now = Date.now();
    for (const record of [...(message.answers ?? []), ...(message.additionals ?? [])]) this.lastMulticast.set(recordKey(record, link), now);
    void this.send(encodeMessage(message), link);
  }

  /** Announces on `links` now and once more a second later (RFC 6762 §8.3). */
  private announce(links: readonly string[], repeat = true): void {
    if (this.state !== 'running') return;
    for (const link of links) if (this.interfaces.some((entry) => entry.name === link)) this.multicast(announcement(this.ownOn(link)), link);
    if (repeat) this.later(ANNOUNCE_GAP_MS, () => this.announce(links, false));
  }

  /**
   * Asks for `_wsmesh._tcp` (plus `extra` questions). The first query after start asks for unicast replies
   * (RFC 6762 §5.4), which responders may send at once, unlike multicast answers limited to one per second.
   */
  private sendQuery(extra: OutgoingQuestion[] = [], first = false, links = interfaceNames(this.interfaces)): void {
    if (this.state !== 'running') return;
    // A random id (RFC 6762 §18.1 prefers 0) tells our own looped-back queries from identical ones of
    // another node on this host: ours must not count as "someone else asked" (§7.3) nor be answered.
    const id = 1 + Math.floor(Math.random() * 0xfffe);
    this.ownQueryIds.set(id, Date.now());
    for (const [old, at] of this.ownQueryIds) if (Date.now() - at > OWN_ECHO_MS) this.ownQueryIds.delete(old);
    const questions: OutgoingQuestion[] = [{ name: SERVICE_TYPE, type: RecordType.PTR, unicastResponse: first }];
    const seen = new Set([`${SERVICE_TYPE}|${RecordType.PTR}`]);
    for (const question of extra) {
      const key = `${question.name.toLowerCase()}|${question.type}`;
      if (!seen.has(key)) questions.push(question);
      seen.add(key);
    }
    const message = encodeMessage({ id, response: false, questions });
    for (const link of links) void this.send(message, link);
  }

  private async receive(raw: Buffer, remote: RemoteInfo): Promise<void> {
    if (this.state !== 'running') return;
    this.stats.received++;
    const link = arrivalInterface(remote.address, this.interfaces);
    if (link === undefined) return this.reject('sender is not on a local link', remote);
    const layout = guardPacket(raw);
    if (!layout.ok) return this.reject(layout.reason, remote);
    const outcome = await this.parser!.parse(layout.parserCopy);
    if (this.state !== 'running') return;
    if (!outcome.ok) {
      this.stats.unparsed++;
      this.log(`mDNS message from ${remote.address} dropped: ${outcome.reason}`);
      return;
    }
    const assembled = assembleMessage(raw, layout, outcome.message);
    if (!assembled.ok) return this.reject(assembled.reason, remote);
    if (!this.interfaces.some((entry) => entry.name === link)) return;
    if (assembled.message.isResponse) this.onResponse(assembled.message, remote, link);
    else this.onQuery(assembled.message, remote, link);
  }

  private reject(reason: string, remote: RemoteInfo): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.log(`mDNS message from ${remote.address}:${remote.port} rejected: ${reason}`);
  }

  private onResponse(message: MdnsMessage, remote: RemoteInfo, link: string): void {
    // RFC 6762 §11: responses not from port 5353 are ignored.
    if (remote.port !== MDNS_PORT) return this.reject('response not sent from port 5353', remote);
    const now = Date.now();
    const targets = new Set<string>();
    for (const entry of this.cache.all(RecordType.SRV)) targets.add(entry.record.srv!.target.toLowerCase());
    for (const record of message.records) if (record.type === RecordType.SRV) targets.add(record.srv!.target.toLowerCase());
    const allowLoopback = this.allowLoopback;
    for (const record of message.records) {
      if (!this.isRelevant(record, targets)) continue;
      if (record.address !== undefined) {
        // The subnet rule (issue 10 item 11): no address outside the receiving interface's subnet is ever dialled.
        const address = addressOnLink(record.address, link, this.interfaces, allowLoopback);
        if (address === null) {
          this.reject(OUTSIDE_SUBNET, remote);
          continue;
        }
        record.address = address;
      }
      this.cache.add(record, remote.address, link, now);
    }
    this.refreshView();
  }

  /**
   * Only `_wsmesh._tcp` records and the addresses of their targets are kept (mdns-js bug 5 reported every type);
   * names are compared as plain strings, never parsed as service types (mdns-js bug 2 threw on unusual ones).
   */
  private isRelevant(record: MdnsRecord, targets: ReadonlySet<string>): boolean {
    const name = record.name.toLowerCase();
    switch (record.type) {
      case RecordType.PTR:
        return name === SERVICE_TYPE && record.ptr!.toLowerCase().endsWith(`.${SERVICE_TYPE}`);
      case RecordType.SRV:
      case RecordType.TXT:
        return name.endsWith(`.${SERVICE_TYPE}`);
      case RecordType.A:
      case RecordType.AAAA:
        return targets.has(name);
      default:
        return false;
    }
  }

  /** Drops what expired, asks for what is due, and emits the difference in peers. */
  private refreshView(): void {
    if (this.state !== 'running') return;
    const now = Date.now();
    this.cache.expire(now);
    const due = this.cache.takeDueRefreshes(now);
    if (due.length > 0) this.sendQuery(due.map((entry) => ({ name: entry.record.name, type: entry.record.type })));
    const view = buildPeerView(this.cache, { ...this.context!, allowLoopback: this.allowLoopback });
    const { found, lost } = diffPeers(this.peers, view.peers);
    this.peers = view.peers;
    if (view.incomplete.length > 0) this.scheduleResolve(view.incomplete);
    this.armCacheTimer();
    for (const id of lost) this.emit('lost', id);
    for (const peer of found) this.emit('found', peer);
  }

  private armCacheTimer(): void {
    if (this.cacheTimer) clearTimeout(this.cacheTimer);
    this.cacheTimer = null;
    const deadline = this.cache.nextDeadline();
    if (deadline === undefined) return;
    this.cacheTimer = setTimeout(() => this.refreshView(), Math.max(0, deadline - Date.now()) + 5);
  }

  /** Asks once for the SRV, TXT and address records that instances seen through PTR still lack. */
  private scheduleResolve(incomplete: Array<{ instance: string; target?: string }>): void {
    if (this.resolveTimer) return;
    const questions: OutgoingQuestion[] = [];
    for (const { instance, target } of incomplete) {
      questions.push({ name: instance, type: RecordType.SRV }, { name: instance, type: RecordType.TXT });
      if (target) questions.push({ name: target, type: RecordType.A }, { name: target, type: RecordType.AAAA });
    }
    this.resolveTimer = setTimeout(() => {
      this.sendQuery(questions);
      this.resolveTimer = setTimeout(() => (this.resolveTimer = null), ANNOUNCE_GAP_MS);
    }, RESOLVE_DELAY_MS);
  }

  private onQuery(message: MdnsMessage, remote: RemoteInfo, link: string): void {
    const ownAddress = this.interfaces.some((entry) => entry.address === withoutZone(remote.address));
    const own = this.ownOn(link);
    if (ownAddress && this.ownQueryIds.has(message.id)) return;
    // Known answers inside a query are the querier's cache, not sightings (mdns-js bug 5): never cached.
    const knownAnswers = message.records.filter((record) => record.section === 'answer');
    if (remote.port !== MDNS_PORT) {
      const answer = answerQuestions(message.questions, [], own);
      if (answer.answers.length > 0) void this.send(encodeMessage(legacyUnicastReply(message.id, message.questions, answer)), remote);
      return;
    }
    const askedForUs = message.questions.some(
      (q) => q.name.toLowerCase() === SERVICE_TYPE && q.type === RecordType.PTR && !q.unicastResponse,
    );
    if (askedForUs && knownAnswers.length === 0) this.queries.treatAsSent();
    // mdns-js bug 6: questions with the unicast-response bit ("QU") were ignored; they get a direct reply.
    const unicast = answerQuestions(message.questions.filter((q) => q.unicastResponse), knownAnswers, own);
    if (unicast.answers.length > 0) void this.send(encodeMessage({ response: true, ...unicast }), remote);
    const multicast = answerQuestions(message.questions.filter((q) => !q.unicastResponse), knownAnswers, own);
    if (multicast.answers.length > 0) this.queueMulticastAnswer(multicast, link);
  }

  /** RFC 6762 §6: shared answers wait 20-120 ms (answers to several queries merge); no record twice within 1 s. */
  private queueMulticastAnswer(answer: Answer, link: string): void {
    const key = (record: OutgoingRecord) => recordKey(record, link);
    const queued = this.pendingResponses.get(link);
    if (queued) {
      const merge = (into: OutgoingRecord[], from: OutgoingRecord[]) => {
        for (const record of from) if (!into.some((r) => key(r) === key(record))) into.push(record);
      };
      merge(queued.answers, answer.answers);
      merge(queued.additionals, answer.additionals);
      return;
    }
    this.pendingResponses.set(link, { answers: [...answer.answers], additionals: [...answer.additionals], shared: answer.shared });
    const delay = answer.shared ? 20 + Math.random() * 100 : 0;
    this.later(delay, () => {
      const pending = this.pendingResponses.get(link)!;
      this.pendingResponses.delete(link);
      if (this.state !== 'running') return;
      const now = Date.now();
      // An address that left the interface while the answer waited must not come back after its goodbye.
      const current = new Set(this.interfaces.filter((entry) => entry.name === link).map((entry) => entry.address));
      const fresh = (record: OutgoingRecord) =>
        now - (this.lastMulticast.get(key(record)) ?? 0) >= MIN_MULTICAST_GAP_MS && (!('address' in record.data) || current.has(record.data.address));
      const answers = pending.answers.filter(fresh);
      if (answers.length === 0) return;
      const additionals = pending.additionals.filter((r) => fresh(r) && !answers.some((a) => key(a) === key(r)));
      this.multicast({ response: true, answers, additionals }, link);
    });
  }
}
