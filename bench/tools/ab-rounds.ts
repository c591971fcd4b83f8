import { formatSize } from '../lib/format.ts';

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

export interface ABTool {
  /** The tool's file name, for the usage line. */
  name: string;
  /** Label of a case: `${verb} binary 1 KiB`. */
  verb: string;
  /** Column heading of a rate, and how to print one. */
  unit: string;
  format: (rate: number) => string;
  cases: ReadonlyArray<readonly [size: number, binary: boolean]>;
  /** A pass of `build` over one case: returns its rate. */
  pass: (build: string, size: number, binary: boolean) => Promise<() => number>;
}

/** Reads BUILD_A BUILD_B [--rounds N] [--ms MS] [--case TEXT], runs every case interleaved, prints a Markdown table. */
export async function runAB(tool: ABTool): Promise<void> {
  const [buildA, buildB] = process.argv.slice(2, 4);
  if (!buildA || !buildB) throw new Error(`usage: ${tool.name} BUILD_A BUILD_B [--rounds N] [--ms MS] [--case TEXT]`);
  const rounds = argument('rounds', 15);
  const ms = argument('ms', 150);
  const caseFilter = caseArgument();
  console.log(`A = ${buildA}\nB = ${buildB}\n${rounds} interleaved rounds of ${ms} ms each; 64 KiB chunks; text has 2-byte characters\n`);
  console.log(`| case | A ${tool.unit} | B ${tool.unit} | B/A (spread of rounds) |\n| --- | --- | --- | --- |`);
  for (const [size, binary] of tool.cases) {
    const label = `${tool.verb} ${binary ? 'binary' : 'text'} ${formatSize(size)}`;
    if (caseFilter !== undefined && !label.includes(caseFilter)) continue;
    const a = await tool.pass(buildA, size, binary);
    const b = await tool.pass(buildB, size, binary);
    const { ratesA, ratesB, ratios } = interleavedAB(a, b, rounds, ms);
    console.log(`| ${label} | ${tool.format(median(ratesA))} | ${tool.format(median(ratesB))} | ${median(ratios).toFixed(3)}x (${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)}) |`);
  }
}
