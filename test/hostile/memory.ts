// Memory under attack: the peak growth of RSS and of the JS heap plus Buffers while an attack runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's collector, so that the baseline is not inflated by garbage of earlier tests. */
export const collectGarbage = runInNewContext('gc') as () => void;

export interface MemoryGrowth {
  /** Peak resident set size minus the baseline, MiB. */
  rssMiB: number;
  /** Peak (heapUsed + external, which includes Buffers) minus the baseline, MiB. */
  heapMiB: number;
}

const MIB = 1024 * 1024;

function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Runs `attack` while sampling memory every 5 ms; returns its result and the peak growth over the baseline. */
export async function peakGrowth<T>(attack: () => Promise<T>): Promise<{ result: T; growth: MemoryGrowth }> {
  collectGarbage();
  const rssBase = process.memoryUsage.rss();
  const heapBase = heapBytes();
  let rssPeak = rssBase;
  let heapPeak = heapBase;
  const sample = () => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    heapPeak = Math.max(heapPeak, heapBytes());
  };
  const sampler = setInterval(sample, 5);
  try {
    const result = await attack();
    sample();
    return { result, growth: { rssMiB: (rssPeak - rssBase) / MIB, heapMiB: (heapPeak - heapBase) / MIB } };
  } finally {
    clearInterval(sampler);
  }
}

export function formatGrowth({ rssMiB, heapMiB }: MemoryGrowth): string {
  return `RSS +${rssMiB.toFixed(1)} MiB, heap+buffers +${heapMiB.toFixed(1)} MiB`;
}
