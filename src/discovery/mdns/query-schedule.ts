/**
 * When to ask the network for `_wsmesh._tcp` again (RFC 6762 §5.2): the first query after a random 20-120 ms,
 * then after 1 s, doubling each time up to `maxInterval`. mdns-js bug 5: its browser asks only once, so nodes
 * that join later, or come back after a partition, are never found.
 */

export interface QueryScheduleOptions {
  /** Cap of the doubling interval in ms (default 60 000). */
  maxInterval?: number;
  /** First gap between queries in ms; at least 1000 (RFC 6762 §5.2). */
  firstInterval?: number;
}

export const DEFAULT_MAX_QUERY_INTERVAL = 60_000;
const FIRST_INTERVAL = 1000;

export class QuerySchedule {
  private readonly maxInterval: number;
  private readonly firstInterval: number;
  private interval: number;
  private timer: NodeJS.Timeout | null = null;
  private sentFirst = false;

  constructor(
    /** `first` is true for the first query after start() (RFC 6762 §5.4: it may ask for unicast replies). */
    private readonly sendQuery: (first: boolean) => void,
    options: QueryScheduleOptions = {},
  ) {
    this.firstInterval = Math.max(FIRST_INTERVAL, options.firstInterval ?? FIRST_INTERVAL);
    this.maxInterval = Math.max(this.firstInterval, options.maxInterval ?? DEFAULT_MAX_QUERY_INTERVAL);
    this.interval = this.firstInterval;
  }

  /** Starts over: first query in 20-120 ms. */
  start(): void {
    this.interval = this.firstInterval;
    this.sentFirst = false;
    this.arm(20 + Math.random() * 100);
  }

  /**
   * RFC 6762 §7.3: another host just asked the same question (with no known answers we lack); the answers
   * reach us too, so our own query counts as sent.
   */
  treatAsSent(): void {
    if (!this.timer) return;
    this.advance();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The gap that will follow the next query. */
  get currentInterval(): number {
    return this.interval;
  }

  private arm(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const first = !this.sentFirst;
      this.sentFirst = true;
      this.sendQuery(first);
      this.advance();
    }, delay);
  }

  private advance(): void {
    const gap = this.interval;
    this.interval = Math.min(this.interval * 2, this.maxInterval);
    this.arm(gap);
  }
}
