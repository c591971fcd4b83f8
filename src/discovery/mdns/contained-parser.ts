import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PARSER_WORKER_SOURCE } from './parser-worker-source.ts';

/**
 * Runs mdns-js's DNS parser (dns-js) in a worker thread behind a watchdog. The guard already rejects every
 * message known to hurt that parser; this is the second line: whatever still makes it loop, throw or crash
 * costs one worker restart, never the node. A message that stalled the parser once is refused afterwards.
 */

export interface ParsedQuestion {
  name: string;
  type: number;
  class: number;
}

export interface ParsedResource extends ParsedQuestion {
  ttl: number;
  address?: string;
  data?: string;
  port?: number;
  target?: string;
}

export interface ParsedMessage {
  question: ParsedQuestion[];
  answer: ParsedResource[];
  authority: ParsedResource[];
  additional: ParsedResource[];
}

export type ParseOutcome = { ok: true; message: ParsedMessage } | { ok: false; reason: string };

export interface ContainedParserOptions {
  /** ms one parse may take before the worker counts as stuck and is replaced. Default 1000. */
  parseTimeout?: number;
  /** ms between watchdog pings; a ping unanswered for this long replaces the worker. Default 2000. */
  pingInterval?: number;
  /** Messages waiting for the worker at most; more are refused. Default 64. */
  maxPending?: number;
  /** Replaces the worker's code (tests use it to simulate a parser that hangs or crashes). */
  workerSource?: string;
}

export interface ContainedParserStats {
  parsed: number;
  failed: number;
  refused: number;
  restarts: number;
}

interface Pending {
  seq: number;
  bytes: Buffer;
  fingerprint: string;
  sentAt: number;
  resolve: (outcome: ParseOutcome) => void;
}

const POISON_MEMORY = 256;
const WATCHDOG_TICK_MS = 100;

/** Where mdns-js's own dns-js lives (resolved from mdns-js, so hoisting does not matter). */
function resolveDnsJs(): string {
  const requireHere = createRequire(import.meta.url);
  return createRequire(requireHere.resolve('mdns-js')).resolve('dns-js');
}

/** Stops a worker whose events no longer matter (terminate() also ends one stuck in a loop). */
async function discard(worker: Worker): Promise<void> {
  worker.removeAllListeners();
  worker.on('error', () => {});
  await worker.terminate();
}

export class ContainedParser extends EventEmitter<{ restart: [reason: string] }> {
  readonly stats: ContainedParserStats = { parsed: 0, failed: 0, refused: 0, restarts: 0 };
  private readonly parseTimeout: number;
  private readonly pingInterval: number;
  private readonly maxPending: number;
  private readonly source: string;
  private readonly dnsJsPath = resolveDnsJs();
  private readonly pending = new Map<number, Pending>();
  private readonly poisoned = new Set<string>();
  private worker: Worker | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private nextSeq = 1;
  private pingSeq = 0;
  private pingSentAt = 0;
  private lastPingAt = 0;
  private closed = false;

  constructor(options: ContainedParserOptions = {}) {
    super();
    this.parseTimeout = options.parseTimeout ?? 1000;
    this.pingInterval = options.pingInterval ?? 2000;
    this.maxPending = options.maxPending ?? 64;
    this.source = options.workerSource ?? PARSER_WORKER_SOURCE;
  }

  /** Parses one message (already guarded). Never rejects: failures come back as `{ ok: false, reason }`. */
  parse(bytes: Buffer): Promise<ParseOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, reason: 'the parser is closed' });
    const fingerprint = createHash('sha1').update(bytes).digest('hex');
    if (this.poisoned.has(fingerprint)) {
      this.stats.refused++;
      return Promise.resolve({ ok: false, reason: 'this exact message stalled the parser before' });
    }
    if (this.pending.size >= this.maxPending) {
      this.stats.refused++;
      return Promise.resolve({ ok: false, reason: `more than ${this.maxPending} messages wait for the parser` });
    }
    this.ensureWorker();
    return new Promise((resolve) => {
      const entry: Pending = { seq: this.nextSeq++, bytes, fingerprint, sentAt: Date.now(), resolve };
      this.pending.set(entry.seq, entry);
      this.post(entry);
      this.holdProcess();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const entry of this.pending.values()) entry.resolve({ ok: false, reason: 'the parser is closed' });
    this.pending.clear();
    const worker = this.worker;
    this.worker = null;
    if (worker) await discard(worker);
  }

  /** Pending parses keep the process alive (so a stuck one is still detected); an idle parser does not. */
  private holdProcess(): void {
    const busy = this.pending.size > 0;
    for (const handle of [this.worker, this.watchdog]) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  }

  private post(entry: Pending): void {
    entry.sentAt = Date.now();
    const copy = Uint8Array.from(entry.bytes);
    this.worker!.postMessage({ kind: 'parse', seq: entry.seq, bytes: copy }, [copy.buffer]);
  }

  private ensureWorker(): void {
    if (this.worker) return;
    const worker = new Worker(this.source, {
      eval: true,
      workerData: { dnsJsPath: this.dnsJsPath },
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    worker.unref();
    worker.on('message', (reply: { kind: string; seq: number; message?: ParsedMessage; error?: string }) => {
      if (worker !== this.worker) return;
      this.onReply(reply);
    });
    worker.on('error', (error) => {
      if (worker === this.worker) this.restart(`the parser worker crashed: ${error.message}`);
    });
    worker.on('exit', (code) => {
      if (worker === this.worker) this.restart(`the parser worker exited with code ${code}`);
    });
    this.worker = worker;
    this.pingSentAt = 0;
    this.lastPingAt = Date.now();
    if (!this.watchdog) {
      this.watchdog = setInterval(() => this.checkHealth(), WATCHDOG_TICK_MS);
      this.watchdog.unref();
    }
  }

  private onReply(reply: { kind: string; seq: number; message?: ParsedMessage; error?: string }): void {
    if (reply.kind === 'pong') {
      if (reply.seq === this.pingSeq) this.pingSentAt = 0;
      return;
    }
    const entry = this.pending.get(reply.seq);
    if (!entry) return;
    this.pending.delete(reply.seq);
    this.holdProcess();
    if (reply.kind === 'parsed' && reply.message) {
      this.stats.parsed++;
      entry.resolve({ ok: true, message: reply.message });
    } else {
      this.stats.failed++;
      entry.resolve({ ok: false, reason: `mdns-js could not parse it: ${reply.error ?? 'unknown error'}` });
    }
  }

  private checkHealth(): void {
    if (!this.worker) return;
    const now = Date.now();
    const oldest = this.pending.values().next().value as Pending | undefined;
    if (oldest && now - oldest.sentAt > this.parseTimeout) {
      this.restart(`a parse took longer than ${this.parseTimeout} ms`);
      return;
    }
    if (this.pingSentAt !== 0 && now - this.pingSentAt > this.pingInterval) {
      this.restart(`the parser worker did not answer a ping within ${this.pingInterval} ms`);
      return;
    }
    if (this.pingSentAt === 0 && now - this.lastPingAt >= this.pingInterval) {
      this.pingSeq++;
      this.pingSentAt = now;
      this.lastPingAt = now;
      this.worker.postMessage({ kind: 'ping', seq: this.pingSeq });
    }
  }

  /** Replaces the worker; the oldest message in flight is blamed, refused from now on, and answered with the reason. */
  private restart(reason: string): void {
    const old = this.worker;
    this.worker = null;
    if (old) void discard(old);
    this.stats.restarts++;
    const culprit = this.pending.values().next().value as Pending | undefined;
    if (culprit) {
      this.pending.delete(culprit.seq);
      this.remember(culprit.fingerprint);
      this.stats.failed++;
      culprit.resolve({ ok: false, reason });
    }
    this.emit('restart', reason);
    if (this.closed) return;
    this.ensureWorker();
    for (const entry of this.pending.values()) this.post(entry);
    this.holdProcess();
  }

  private remember(fingerprint: string): void {
    this.poisoned.add(fingerprint);
    if (this.poisoned.size > POISON_MEMORY) {
      const oldest = this.poisoned.values().next().value as string;
      this.poisoned.delete(oldest);
    }
  }
}
