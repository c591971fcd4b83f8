// @ts-check

/** Message ids seen recently (bounded), so that each message is delivered once. */
export class SeenIds {
  /** @type {Set<string>} */
  #ids = new Set();

  constructor(maxEntries = 5000) {
    this.maxEntries = maxEntries;
  }

  /** Records `id`; false when it was seen before. @param {string} id */
  add(id) {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.maxEntries) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
