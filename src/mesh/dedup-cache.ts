/** Remembers ids seen recently, bounded in count and age, to deliver each message once. */
export class DedupCache {
  readonly #seenAt = new Map<string, number>();

  constructor(
    readonly maxEntries = 10_000,
    readonly maxAgeMs = 10 * 60_000,
  ) {}

  /** Records `id`; returns false when it was already there (a duplicate). */
  add(id: string, now: number): boolean {
    this.#evict(now);
    if (this.#seenAt.has(id)) return false;
    this.#seenAt.set(id, now);
    if (this.#seenAt.size > this.maxEntries) {
      const oldest = this.#seenAt.keys().next().value;
      if (oldest !== undefined) this.#seenAt.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.#seenAt.has(id);
  }

  get size(): number {
    return this.#seenAt.size;
  }

  #evict(now: number): void {
    for (const [id, seenAt] of this.#seenAt) {
      if (now - seenAt < this.maxAgeMs) return;
      this.#seenAt.delete(id);
    }
  }
}
