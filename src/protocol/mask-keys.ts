import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 8192;

/**
 * Random bytes for the mask keys of every client-role connection of the process, drawn from `crypto` 8 KiB at a
 * time (2,048 keys) and each used once. One pool for all (as ws does) rather than one per connection: a
 * connection that sends a few frames does not hold 8 KiB of its own (a node with 780 outbound links held 6.2 MiB
 * of pools) nor draw 8 KiB from the CSPRNG for them. Sharing changes nothing for an observer: every key is still
 * fresh CSPRNG output, never reused, and unknown to the application (RFC 6455 section 10.3).
 */
const shared = { pool: Buffer.allocUnsafeSlow(POOL_SIZE), offset: POOL_SIZE };

/** Fresh random 4-byte mask keys (RFC 6455 section 5.3): from the shared pool, or from `generate` when given. */
export class MaskKeySource {
  constructor(private readonly generate?: () => Uint8Array) {}

  /** Writes the next key into `target[offset..offset + 4)`. */
  writeKey(target: Uint8Array, offset: number): void {
    if (this.generate) {
      target.set(this.generate().subarray(0, 4), offset);
      return;
    }
    if (shared.offset === POOL_SIZE) {
      randomFillSync(shared.pool);
      shared.offset = 0;
    }
    const pool = shared.pool;
    const o = shared.offset;
    target[offset] = pool[o]!;
    target[offset + 1] = pool[o + 1]!;
    target[offset + 2] = pool[o + 2]!;
    target[offset + 3] = pool[o + 3]!;
    shared.offset = o + 4;
  }
}
