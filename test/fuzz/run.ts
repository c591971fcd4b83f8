// Long fuzz runs on demand: npx tsx test/fuzz/run.ts --iterations 200000 [--seed 1]
// Every failing input is written to test/fuzz/regressions/ so that fuzz.test.ts replays it forever.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzzProtocol } from './fuzz-protocol.ts';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '100000' }, seed: { type: 'string', default: String(Date.now() % 1e9) } },
});
const iterations = Number(values.iterations);
const seed = Number(values.seed);
if (!Number.isInteger(iterations) || iterations <= 0 || !Number.isInteger(seed)) {
  console.error('usage: run.ts [--iterations N] [--seed S]  (positive integers)');
  process.exit(2);
}
const started = performance.now();
const memoryBefore = process.memoryUsage().rss;
const report = fuzzProtocol(seed, iterations);
const seconds = (performance.now() - started) / 1000;
for (const failure of report.failures) {
  const file = new URL(`./regressions/${failure.role}-seed-${failure.seed}.hex`, import.meta.url);
  writeFileSync(file, failure.input.toString('hex') + '\n');
  console.error(`FAIL ${failure.role} seed ${failure.seed}: ${failure.error}`);
}
console.log(
  `${report.cases} cases (${(report.bytes / 1e6).toFixed(1)} MB) from seed ${seed} in ${seconds.toFixed(1)} s, ` +
    `${report.failures.length} failures, RSS ${(memoryBefore / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
);
process.exitCode = report.failures.length === 0 ? 0 : 1;
