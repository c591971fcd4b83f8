// @ts-check
/** Redial backoff, the same rule for nodes (src/mesh) and browser peers (src/browser); only the defaults differ. */

/**
 * @typedef {object} ReconnectOptions
 * @property {number} min First delay after a failure, ms.
 * @property {number} max Largest delay, ms.
 * @property {number} jitter Random spread as a fraction of the delay: 0.2 gives delay * [0.8, 1.2).
 */

/**
 * Delay before the next attempt after `failures` consecutive failures (>= 1): min doubling up to max, with jitter.
 * @param {number} failures
 * @param {ReconnectOptions} options
 * @param {() => number} [random]
 * @returns {number}
 */
export function backoffDelay(failures, options, random = Math.random) {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const base = Math.min(options.max, options.min * 2 ** exponent);
  const spread = base * options.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(options.max, Math.round(base + spread)));
}
