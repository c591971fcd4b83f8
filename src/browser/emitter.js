// @ts-check

/**
 * A minimal typed event emitter. A listener that throws does not disturb the emitter or the other
 * listeners; its error is reported to the page (`reportError`, i.e. the console).
 * @template {Record<keyof Events, unknown[]>} Events
 */
export class Emitter {
  /** @type {Map<keyof Events, Set<(...args: any[]) => void>>} */
  #listeners = new Map();

  /**
   * @template {keyof Events} E
   * @param {E} event
   * @param {(...args: Events[E]) => void} listener
   * @returns {() => void} unsubscribes
   */
  on(event, listener) {
    let listeners = this.#listeners.get(event);
    if (listeners === undefined) this.#listeners.set(event, (listeners = new Set()));
    listeners.add(listener);
    return () => this.off(event, listener);
  }

  /**
   * @template {keyof Events} E
   * @param {E} event
   * @param {(...args: Events[E]) => void} listener
   */
  off(event, listener) {
    this.#listeners.get(event)?.delete(listener);
  }

  /**
   * @template {keyof Events} E
   * @param {E} event
   * @param {Events[E]} args
   */
  emit(event, ...args) {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        globalThis.reportError?.(error);
      }
    }
  }
}
