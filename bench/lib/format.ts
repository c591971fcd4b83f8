import type { RatioSpread } from './stats.ts';

/** Human formatting of benchmark figures, shared by all sections. */

export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}

export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  if (Math.abs(value) >= 100) return value.toFixed(Math.max(0, digits - 2));
  if (Math.abs(value) >= 10) return value.toFixed(Math.max(0, digits - 1));
  return value.toFixed(digits);
}

/** "1.23x (1.10-1.31)": the median of per-round ratios and their min-max. */
export function formatRatio(spread: RatioSpread): string {
  if (!Number.isFinite(spread.median)) return '-';
  return `${spread.median.toFixed(2)}x (${spread.min.toFixed(2)}-${spread.max.toFixed(2)})`;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
