// Long fuzz runs on demand: npx tsx test/fuzz/run.ts --iterations 200000 [--seed 1] [--target codec|handshake|all]
// Every failing input is written to test/fuzz/regressions/ (codec) or test/fuzz/regressions-handshake/
// (handshake), so that fuzz.test.ts and handshake.test.ts replay it forever.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzzHandshake } from './fuzz-handshake.ts';
import { fuzzProtocol } from './fuzz-protocol.ts';

const TARGETS = ['codec', 'handshake', 'all'];
const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 1e9) },
    target: { type: 'string', default: 'all' },
  },
});
const iterations = Number(values.iterations);
const seed = Number(values.seed);
if (!Number.isInteger(iterations) || iterations <= 0 || !Number.isInteger(seed) || !TARGETS.includes(values.target)) {
  console.error('usage: run.ts [--iterations N] [--seed S] [--target codec|handshake|all]  (positive integers)');
  process.exit(2);
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

let failures = 0;
if (values.target !== 'handshake') {
  const started = performance.now();
  const memoryBefore = process.memoryUsage().rss;
  const report = fuzzProtocol(seed, iterations);
  const seconds = (performance.now() - started) / 1000;
  for (const failure of report.failures) {
    const file = new URL(`./regressions/${failure.role}-seed-${failure.seed}.hex`, import.meta.url);
    writeFileSync(file, failure.input.toString('hex') + '\n');
    console.error(`FAIL codec ${failure.role} seed ${failure.seed}: ${failure.error}`);
  }
  failures += report.failures.length;
  console.log(
    `codec: ${report.cases} cases (${(report.bytes / 1e6).toFixed(1)} MB) from seed ${seed} in ${seconds.toFixed(1)} s, ` +
      `${report.failures.length} failures, RSS ${mib(memoryBefore)} -> ${mib(process.memoryUsage().rss)} MiB`,
  );
}
if (values.target !== 'codec') {
  const started = performance.now();
  const memoryBefore = process.memoryUsage().rss;
  const report = fuzzHandshake(seed, iterations);
  const seconds = (performance.now() - started) / 1000;
  const directory = new URL('./regressions-handshake/', import.meta.url);
  if (report.failures.length > 0) mkdirSync(directory, { recursive: true });
  for (const failure of report.failures) {
    writeFileSync(new URL(`${failure.side}-seed-${failure.seed}.hex`, directory), failure.input.toString('hex') + '\n');
    console.error(`FAIL handshake ${failure.side} seed ${failure.seed}: ${failure.error}`);
  }
  failures += report.failures.length;
  console.log(
    `handshake: ${report.cases} cases (${(report.bytes / 1e6).toFixed(1)} MB) from seed ${seed} in ${seconds.toFixed(1)} s, ` +
      `slowest case ${report.slowestMs.toFixed(1)} ms, ${report.failures.length} failures, RSS ${mib(memoryBefore)} -> ${mib(process.memoryUsage().rss)} MiB`,
  );
}
process.exitCode = failures === 0 ? 0 : 1;
