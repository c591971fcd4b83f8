import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 8192;

/** Fresh random 4-byte mask keys (RFC 6455 section 5.3), drawn from `crypto` in batches. */
export class MaskKeySource {
  private readonly pool = Buffer.allocUnsafe(POOL_SIZE);
  private offset = POOL_SIZE;

  constructor(private readonly generate?: () => Uint8Array) {}

  /** Writes the next key into `target[offset..offset + 4)`. */
  writeKey(target: Uint8Array, offset: number): void {
    if (this.generate) {
      target.set(this.generate().subarray(0, 4), offset);
      return;
    }
    if (this.offset === POOL_SIZE) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const pool = this.pool;
    const o = this.offset;
    target[offset] = pool[o]!;
    target[offset + 1] = pool[o + 1]!;
    target[offset + 2] = pool[o + 2]!;
    target[offset + 3] = pool[o + 3]!;
    this.offset = o + 4;
  }
}
