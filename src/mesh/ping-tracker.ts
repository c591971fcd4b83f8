const PREFIX = 'wsmesh-ping ';
/** Pings in flight remembered (a pong of an older one is ignored). */
const MAX_IN_FLIGHT = 16;

/**
 * Pings in flight on one connection, sans I/O. Each ping carries `wsmesh-ping <seq>`; a pong that
 * matches no ping in flight is ignored. TCP keeps pongs in order, so a pong also settles older pings.
 */
export class PingTracker {
  #seq = 0;
  readonly #sentAt = new Map<number, number>();

  /** Registers a new ping sent at `now`; returns its sequence number and payload. */
  next(now: number): { seq: number; payload: string } {
    const seq = ++this.#seq;
    this.#sentAt.set(seq, now);
    // A peer that never answers keeps only the newest pings in flight here.
    if (this.#sentAt.size > MAX_IN_FLIGHT) this.#sentAt.delete(this.#sentAt.keys().next().value!);
    return { seq, payload: `${PREFIX}${seq}` };
  }

  /** The round trip in ms for a pong, or null when it matches no ping in flight. */
  pong(payload: Buffer | string, now: number): number | null {
    const text = typeof payload === 'string' ? payload : payload.toString('latin1');
    if (!text.startsWith(PREFIX)) return null;
    const seq = Number(text.slice(PREFIX.length));
    const sentAt = this.#sentAt.get(seq);
    if (sentAt === undefined) return null;
    for (const pending of this.#sentAt.keys()) {
      if (pending <= seq) this.#sentAt.delete(pending);
    }
    return now - sentAt;
  }

  isOutstanding(seq: number): boolean {
    return this.#sentAt.has(seq);
  }
}
