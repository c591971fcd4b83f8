/** Sequence numbers a window remembers below the highest one seen: older ones are refused as replays. */
export const REPLAY_WINDOW = 1024;
/** Origins whose windows are kept (128 bytes each, about 0.6 MiB in all). */
export const MAX_REPLAY_ORIGINS = 4096;
const WORDS = REPLAY_WINDOW / 32;
/** How many of the least recently active origins are looked at for one that is not protected. */
const EVICTION_SCAN = 64;

interface Window {
  high: number;
  bits: Uint32Array;
}

/**
 * Replay protection per origin for signed messages: every message carries its origin's counter `seq` (signed with
 * it), and a node delivers a (origin, seq) once. Each origin has a sliding window (as IPsec's anti-replay window):
 * the highest seq seen and a bitmap of the REPLAY_WINDOW below it; older ones are refused. Junk from one origin
 * only moves that origin's window, so no flood of other messages makes a node accept a replay of this one. When
 * more than `maxOrigins` origins are active, the least recently active origin that `isProtected` denies (a peer the
 * node does not know) loses its window first.
 */
export class ReplayWindows {
  readonly #windows = new Map<string, Window>();

  constructor(
    readonly isProtected: (origin: string) => boolean = () => false,
    readonly maxOrigins = MAX_REPLAY_ORIGINS,
  ) {}

  get size(): number {
    return this.#windows.size;
  }

  /** Records (origin, seq); false when it was seen already or is older than the window. */
  accept(origin: string, seq: number): boolean {
    let window = this.#windows.get(origin);
    if (window === undefined) {
      this.#makeRoom();
      window = { high: seq, bits: new Uint32Array(WORDS) };
      set(window.bits, seq);
      this.#windows.set(origin, window);
      return true;
    }
    // Most recently active last (Map order): the eviction scan starts at the least recent.
    this.#windows.delete(origin);
    this.#windows.set(origin, window);
    if (seq > window.high) {
      if (seq - window.high >= REPLAY_WINDOW) window.bits.fill(0);
      else for (let s = window.high + 1; s < seq; s++) clear(window.bits, s);
      window.high = seq;
      set(window.bits, seq);
      return true;
    }
    if (seq <= window.high - REPLAY_WINDOW) return false;
    if (isSet(window.bits, seq)) return false;
    set(window.bits, seq);
    return true;
  }

  #makeRoom(): void {
    if (this.#windows.size < this.maxOrigins) return;
    let scanned = 0;
    let victim: string | undefined;
    for (const origin of this.#windows.keys()) {
      victim ??= origin;
      if (!this.isProtected(origin)) {
        victim = origin;
        break;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    if (victim !== undefined) this.#windows.delete(victim);
  }
}

function index(seq: number): [number, number] {
  const bit = seq % REPLAY_WINDOW;
  return [bit >>> 5, 1 << (bit & 31)];
}

function set(bits: Uint32Array, seq: number): void {
  const [word, mask] = index(seq);
  bits[word] |= mask;
}

function clear(bits: Uint32Array, seq: number): void {
  const [word, mask] = index(seq);
  bits[word] &= ~mask;
}

function isSet(bits: Uint32Array, seq: number): boolean {
  const [word, mask] = index(seq);
  return (bits[word] & mask) !== 0;
}
