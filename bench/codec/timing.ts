/** Timing of micro-benchmark passes: warm up, then repeat passes until the time budget is spent. */

export interface PassResult {
  /** Operations done in the pass (frames, or mask calls). */
  units: number;
  /** Payload bytes processed in the pass. */
  bytes: number;
  /** Time of the measured part of the pass (setup such as restoring input is excluded). */
  nanoseconds: number;
}

export interface Rate {
  unitsPerSec: number;
  bytesPerSec: number;
}

export function measureRate(pass: () => PassResult, budgetMs: number): Rate {
  const warmupEnd = performance.now() + budgetMs / 3;
  while (performance.now() < warmupEnd) pass();
  let units = 0;
  let bytes = 0;
  let nanoseconds = 0;
  const end = performance.now() + budgetMs;
  do {
    const result = pass();
    units += result.units;
    bytes += result.bytes;
    nanoseconds += result.nanoseconds;
  } while (performance.now() < end);
  return { unitsPerSec: units / (nanoseconds / 1e9), bytesPerSec: bytes / (nanoseconds / 1e9) };
}

/** A pass that calls `operation` often enough to take about 2 ms (calibrated once). */
export function repeatedPass(operation: () => void, bytesPerCall: number): () => PassResult {
  let calls = 1;
  for (;;) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) operation();
    if (Number(process.hrtime.bigint() - started) > 2e6 || calls >= 1 << 24) break;
    calls *= 2;
  }
  return () => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) operation();
    return { units: calls, bytes: calls * bytesPerCall, nanoseconds: Number(process.hrtime.bigint() - started) };
  };
}
