/** Small statistics for benchmark rounds: medians, percentiles and ratios with their spread. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface RatioSpread {
  median: number;
  min: number;
  max: number;
}

/** Per-round ratios a[i] / b[i] (rounds ran interleaved, so each pair saw the same machine state). */
export function ratioSpread(numerators: readonly number[], denominators: readonly number[]): RatioSpread {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(numerators.length, denominators.length); i++) {
    const ratio = numerators[i]! / denominators[i]!;
    if (Number.isFinite(ratio)) ratios.push(ratio);
  }
  if (ratios.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}
