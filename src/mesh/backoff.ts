import type { ReconnectOptions } from '../wire/backoff.js';

/** The rule is shared with browser peers (src/wire/backoff.js); these are the node's defaults. */
export { backoffDelay } from '../wire/backoff.js';
export type { ReconnectOptions } from '../wire/backoff.js';

export const DEFAULT_RECONNECT: ReconnectOptions = { min: 250, max: 30_000, jitter: 0.2 };
