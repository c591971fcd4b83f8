/** Shared by the in-process A/B tools (ab-parse.ts, ab-echo.ts): arguments and interleaved passes of two builds. */

export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

export function caseArgument(): string | undefined {
  const index = process.argv.indexOf('--case');
  return index === -1 ? undefined : process.argv[index + 1];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Passes for `ms` milliseconds; the median rate. */
function measure(pass: () => number, ms: number): number {
  const rates: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) rates.push(pass());
  return median(rates);
}

/** Warms both passes up, then `rounds` rounds of A then B (B then A every other round); rates and sorted B/A ratios. */
export function interleavedAB(a: () => number, b: () => number, rounds: number, ms: number): { ratesA: number[]; ratesB: number[]; ratios: number[] } {
  measure(a, ms);
  measure(b, ms);
  const ratesA: number[] = [];
  const ratesB: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const [first, second] = round % 2 === 0 ? [a, b] : [b, a];
    const r1 = measure(first, ms);
    const r2 = measure(second, ms);
    ratesA.push(round % 2 === 0 ? r1 : r2);
    ratesB.push(round % 2 === 0 ? r2 : r1);
  }
  return { ratesA, ratesB, ratios: ratesB.map((rate, i) => rate / ratesA[i]!).sort((x, y) => x - y) };
}
