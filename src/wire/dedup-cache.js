// @ts-check
/** Remembers ids seen recently, bounded in count and age, to deliver each message once (nodes and pages). */
export class DedupCache {
  /** @type {Map<string, number>} */
  #seenAt = new Map();

  /** @param {number} [maxEntries] @param {number} [maxAgeMs] */
  constructor(maxEntries = 10_000, maxAgeMs = 10 * 60_000) {
    /** @readonly */
    this.maxEntries = maxEntries;
    /** @readonly */
    this.maxAgeMs = maxAgeMs;
  }

  /**
   * Records `id`; returns false when it was already there (a duplicate).
   * @param {string} id @param {number} now
   * @returns {boolean}
   */
  add(id, now) {
    this.#evict(now);
    if (this.#seenAt.has(id)) return false;
    this.#seenAt.set(id, now);
    if (this.#seenAt.size > this.maxEntries) {
      const oldest = this.#seenAt.keys().next().value;
      if (oldest !== undefined) this.#seenAt.delete(oldest);
    }
    return true;
  }

  /** @param {string} id @returns {boolean} */
  has(id) {
    return this.#seenAt.has(id);
  }

  get size() {
    return this.#seenAt.size;
  }

  /** @param {number} now */
  #evict(now) {
    for (const [id, seenAt] of this.#seenAt) {
      if (now - seenAt < this.maxAgeMs) return;
      this.#seenAt.delete(id);
    }
  }
}
