import type { DeflateOptions } from '../protocol/permessage-deflate.ts';

/**
 * permessage-deflate on a node's connections: `off`, only for browser peers (`browsers`: inbound upgrades that
 * carry an Origin header), or on every connection (`all`: also offered when dialling, and accepted from nodes).
 */
export type Compression = 'off' | 'browsers' | 'all';
export const COMPRESSION_MODES: readonly Compression[] = ['off', 'browsers', 'all'];

/** Messages below this many bytes are sent uncompressed even when deflate is agreed. */
const DEFLATE_OPTIONS: DeflateOptions = { threshold: 1024, level: 1 };

/** Whether (and how) a connection compresses; `fromBrowser` is true for an inbound upgrade with an Origin header. */
export function compressionFor(mode: Compression, fromBrowser: boolean): DeflateOptions | false {
  return mode === 'all' || (mode === 'browsers' && fromBrowser) ? DEFLATE_OPTIONS : false;
}
