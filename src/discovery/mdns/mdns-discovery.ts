import { EventEmitter } from 'node:events';
import { WsmeshError } from '../../errors.ts';
import os from 'node:os';
import { meshTag, type DiscoveredPeer, type Discovery, type DiscoveryEvents, type LocalService } from '../discovery.ts';
import { MDNS_PORT, RecordType, SERVICE_TYPE } from './constants.ts';
import { ContainedParser, type ContainedParserOptions } from './contained-parser.ts';
import { isLoopback, isOnLink, selectInterfaces, type InterfaceTable, type SelectedInterface } from './interfaces.ts';
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
  /** Network interface to run on (e.g. `eth0`, or `lo` for a single machine). Default: every non-internal IPv4 one. */
  interface?: string;
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
}

type State = 'idle' | 'running' | 'down' | 'stopped';

const ANNOUNCE_GAP_MS = 1000;
const MIN_MULTICAST_GAP_MS = 1000;
const RESOLVE_DELAY_MS = 250;
const OWN_ECHO_MS = 2000;

const recordKey = (record: OutgoingRecord): string =>
  `${record.name}|${record.data.kind}|${record.data.kind === 'a' ? record.data.address : ''}`;

/**
 * DNS-SD over mDNS discovery of wsmesh nodes, with mdns-js contained: every received message passes the
 * guard, then mdns-js's parser in a watched worker; browsing, caching, answering and announcing are ours.
 */
export class MdnsDiscovery extends EventEmitter<DiscoveryEvents> implements Discovery {
  readonly stats: MdnsDiscoveryStats = { received: 0, rejected: {}, unparsed: 0, parserRestarts: 0, sent: 0, sendErrors: 0 };
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
  private own: OwnService | null = null;
  private context: ViewContext | null = null;
  private interfaces: SelectedInterface[] = [];
  private peers = new Map<string, DiscoveredPeer>();
  private pendingResponse: Answer | null = null;
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
    await this.bringUp();
  }

  async stop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.queries.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.cacheTimer) clearTimeout(this.cacheTimer);
    if (this.resolveTimer) clearTimeout(this.resolveTimer);
    if (wasRunning && this.own) {
      // Goodbye first (RFC 6762 §10.1), and only once it has left, close the socket (mdns-js bug 4).
      await this.send(encodeMessage(announcement(this.own, 0)), null);
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

  private async bringUp(): Promise<void> {
    const table = (this.options.networkInterfaces ?? os.networkInterfaces)();
    const choice = selectInterfaces(table, this.options.interface);
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
    const onLoopback = choice.interfaces.every((entry) => isLoopback(entry.address));
    this.own = buildOwnService(self, choice.interfaces.map((entry) => entry.address));
    this.context = { selfId: self.id, meshTag: meshTag(self.mesh), version: self.version, allowLoopback: onLoopback };
    this.parser = new ContainedParser(this.options.parser);
    this.parser.on('restart', (reason) => {
      this.stats.parserRestarts++;
      this.log(`mdns-js parser restarted: ${reason}`);
    });
    this.state = 'running';
    this.log(`mDNS running on ${choice.interfaces.map((entry) => `${entry.name} ${entry.address}`).join(', ')}`);
    this.announce();
    this.later(ANNOUNCE_GAP_MS, () => this.announce());
    this.queries.start();
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

  private async send(message: Buffer, to: RemoteInfo | null): Promise<void> {
    try {
      if (to) await this.transport.sendUnicast(message, to);
      else await this.transport.sendMulticast(message);
      this.stats.sent++;
    } catch (error) {
      this.stats.sendErrors++;
      this.log(`mDNS send failed: ${(error as Error).message}`);
    }
  }

  private multicast(message: OutgoingMessage): void {
    const now = Date.now();
    for (const record of [...(message.answers ?? []), ...(message.additionals ?? [])]) this.lastMulticast.set(recordKey(record), now);
    void this.send(encodeMessage(message), null);
  }

  private announce(): void {
    if (this.state === 'running') this.multicast(announcement(this.own!));
  }

  /**
   * Asks for `_wsmesh._tcp` (plus `extra` questions). The first query after start asks for unicast replies
   * (RFC 6762 §5.4), which responders may send at once, unlike multicast answers limited to one per second.
   */
  private sendQuery(extra: OutgoingQuestion[] = [], first = false): void {
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
    void this.send(encodeMessage({ id, response: false, questions }), null);
  }

  private async receive(raw: Buffer, remote: RemoteInfo): Promise<void> {
    if (this.state !== 'running') return;
    this.stats.received++;
    if (!isOnLink(remote.address, this.interfaces)) return this.reject('sender is not on a local link', remote);
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
    if (assembled.message.isResponse) this.onResponse(assembled.message, remote);
    else this.onQuery(assembled.message, remote);
  }

  private reject(reason: string, remote: RemoteInfo): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.log(`mDNS message from ${remote.address}:${remote.port} rejected: ${reason}`);
  }

  private onResponse(message: MdnsMessage, remote: RemoteInfo): void {
    // RFC 6762 §11: responses not from port 5353 are ignored.
    if (remote.port !== MDNS_PORT) return this.reject('response not sent from port 5353', remote);
    const now = Date.now();
    const targets = new Set<string>();
    for (const entry of this.cache.all(RecordType.SRV)) targets.add(entry.record.srv!.target.toLowerCase());
    for (const record of message.records) if (record.type === RecordType.SRV) targets.add(record.srv!.target.toLowerCase());
    for (const record of message.records) {
      if (this.isRelevant(record, targets)) this.cache.add(record, remote.address, now);
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
    const view = buildPeerView(this.cache, this.context!);
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
      if (target) questions.push({ name: target, type: RecordType.A });
    }
    this.resolveTimer = setTimeout(() => {
      this.sendQuery(questions);
      this.resolveTimer = setTimeout(() => (this.resolveTimer = null), ANNOUNCE_GAP_MS);
    }, RESOLVE_DELAY_MS);
  }

  private onQuery(message: MdnsMessage, remote: RemoteInfo): void {
    const ownAddress = this.interfaces.some((entry) => entry.address === remote.address);
    if (ownAddress && this.ownQueryIds.has(message.id)) return;
    // Known answers inside a query are the querier's cache, not sightings (mdns-js bug 5): never cached.
    const knownAnswers = message.records.filter((record) => record.section === 'answer');
    if (remote.port !== MDNS_PORT) {
      const answer = answerQuestions(message.questions, [], this.own!);
      if (answer.answers.length > 0) void this.send(encodeMessage(legacyUnicastReply(message.id, message.questions, answer)), remote);
      return;
    }
    const askedForUs = message.questions.some(
      (q) => q.name.toLowerCase() === SERVICE_TYPE && q.type === RecordType.PTR && !q.unicastResponse,
    );
    if (askedForUs && knownAnswers.length === 0) this.queries.treatAsSent();
    // mdns-js bug 6: questions with the unicast-response bit ("QU") were ignored; they get a direct reply.
    const unicast = answerQuestions(message.questions.filter((q) => q.unicastResponse), knownAnswers, this.own!);
    if (unicast.answers.length > 0) void this.send(encodeMessage({ response: true, ...unicast }), remote);
    const multicast = answerQuestions(message.questions.filter((q) => !q.unicastResponse), knownAnswers, this.own!);
    if (multicast.answers.length > 0) this.queueMulticastAnswer(multicast);
  }

  /** RFC 6762 §6: shared answers wait 20-120 ms (answers to several queries merge); no record twice within 1 s. */
  private queueMulticastAnswer(answer: Answer): void {
    if (this.pendingResponse) {
      const merge = (into: OutgoingRecord[], from: OutgoingRecord[]) => {
        for (const record of from) if (!into.some((r) => recordKey(r) === recordKey(record))) into.push(record);
      };
      merge(this.pendingResponse.answers, answer.answers);
      merge(this.pendingResponse.additionals, answer.additionals);
      return;
    }
    this.pendingResponse = { answers: [...answer.answers], additionals: [...answer.additionals], shared: answer.shared };
    const delay = answer.shared ? 20 + Math.random() * 100 : 0;
    this.later(delay, () => {
      const pending = this.pendingResponse!;
      this.pendingResponse = null;
      if (this.state !== 'running') return;
      const now = Date.now();
      const fresh = (record: OutgoingRecord) => now - (this.lastMulticast.get(recordKey(record)) ?? 0) >= MIN_MULTICAST_GAP_MS;
      const answers = pending.answers.filter(fresh);
      if (answers.length === 0) return;
      const additionals = pending.additionals.filter((r) => fresh(r) && !answers.some((a) => recordKey(a) === recordKey(r)));
      this.multicast({ response: true, answers, additionals });
    });
  }
}
