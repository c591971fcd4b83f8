export interface ReconnectOptions {
  /** First delay after a failure, ms. */
  min: number;
  /** Largest delay, ms. */
  max: number;
  /** Random spread as a fraction of the delay: 0.2 gives delay * [0.8, 1.2). */
  jitter: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { min: 250, max: 30_000, jitter: 0.2 };

/** Delay before the next attempt after `failures` consecutive failures (>= 1): min doubling up to max, with jitter. */
export function backoffDelay(failures: number, options: ReconnectOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const base = Math.min(options.max, options.min * 2 ** exponent);
  const spread = base * options.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(options.max, Math.round(base + spread)));
}
