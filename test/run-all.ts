/**
 * The test runner behind `npm test`: the typecheck (counted as one test), then every test/**\/*.test.ts in its
 * own child process and process group, with a per-file timeout. The last line printed is always
 * `N passed, M failed[, K skipped]`; the exit code is non-zero when anything failed.
 *
 *   npm test                              everything
 *   npm test -- test/protocol interop     only files whose path contains one of the filters
 *   npm test -- --jobs 2 --timeout 300    two files at a time (output buffered per file), 300 s per file
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTotals, tallyFile } from './helpers/uvu-summary.ts';
import type { FileTally } from './helpers/uvu-summary.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The config directory every test process sees: no test reads or writes the user's own ~/.config/wsmesh. */
const CONFIG_PREFIX = 'wsmesh-test-config-';
/** Removes the config directories of earlier runs whose runner is gone (a runner killed with SIGKILL leaves its own). */
function removeStaleConfigHomes(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^wsmesh-test-config-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}
/** A runner started by a test (test/helpers/run-all.test.ts) shares its parent's directory. */
const INHERITED_CONFIG = process.env.XDG_CONFIG_HOME?.includes(CONFIG_PREFIX) === true;
if (!INHERITED_CONFIG) removeStaleConfigHomes();
const CONFIG_HOME = INHERITED_CONFIG ? process.env.XDG_CONFIG_HOME! : mkdtempSync(path.join(tmpdir(), `${CONFIG_PREFIX}${process.pid}-`));
const KILL_GRACE_MS = 5_000;

const USAGE = `usage: npm test -- [filters...] [--jobs N] [--timeout SECONDS] [--dir DIR] [--skip-typecheck]
  filters           run only test files whose path contains one of these strings
  --jobs N          test files run at the same time (default 1; with N > 1 output is buffered per file)
  --timeout S       per-file timeout in seconds (default 180)
  --dir DIR         directory searched for *.test.ts (default test)
  --skip-typecheck  do not run tsc --noEmit first`;

interface Options {
  filters: string[];
  jobs: number;
  timeoutMs: number;
  dir: string;
  typecheck: boolean;
}

interface Job {
  label: string;
  args: string[];
  tally(stdout: string, exit: { code: number | null; signal: string | null; timedOut: boolean }): FileTally;
}

interface JobResult {
  label: string;
  tally: FileTally;
  seconds: number;
}

function usageError(message: string): never {
  process.stderr.write(`run-all: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        jobs: { type: 'string', short: 'j', default: '1' },
        timeout: { type: 'string', default: '180' },
        dir: { type: 'string', default: 'test' },
        'skip-typecheck': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const jobs = Number(values.jobs);
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isInteger(jobs) || jobs < 1) usageError(`--jobs must be a positive integer, got "${values.jobs}"`);
  if (!(timeoutSeconds > 0)) usageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
  return {
    filters: positionals.map((filter) => filter.replace(/^\.\//, '')),
    jobs,
    timeoutMs: timeoutSeconds * 1000,
    dir: values.dir,
    typecheck: !values['skip-typecheck'],
  };
}

function discoverTestFiles(dir: string, filters: string[]): string[] {
  const entries = readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' });
  return entries
    .map((entry) => path.posix.join(dir, entry.split(path.sep).join('/')))
    .filter((file) => file.endsWith('.test.ts') && !file.split('/').includes('node_modules'))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
}

const typecheckJob: Job = {
  label: 'typecheck (tsc --noEmit)',
  args: [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', ROOT],
  tally: (_stdout, exit) => {
    const ok = exit.code === 0 && !exit.timedOut;
    return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, problem: ok ? null : 'type errors' };
  },
};

function testFileJob(file: string): Job {
  return { label: file, args: ['--import', 'tsx', file], tally: tallyFile };
}

/** Process groups of the jobs still running, killed if the runner itself is stopped. */
const runningGroups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function runJob(job: Job, options: Options, streamOutput: boolean): Promise<JobResult> {
  const started = performance.now();
  const buffered: Array<[NodeJS.WriteStream, Buffer]> = [];
  let stdout = '';
  let timedOut = false;
  if (streamOutput) process.stdout.write(`\n── ${job.label}\n`);

  const child = spawn(process.execPath, job.args, {
    cwd: ROOT,
    detached: true, // its own process group: a timeout kills the file and everything it spawned
    stdio: ['ignore', 'pipe', 'pipe'],
    // XDG_CONFIG_HOME: a node's default key file (~/.config/wsmesh/identity.key) lands in a temporary directory.
    env: { ...process.env, XDG_CONFIG_HOME: CONFIG_HOME, ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}) },
  });
  const pid = child.pid!;
  runningGroups.add(pid);

  const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    if (target === process.stdout) stdout += chunk.toString('utf8');
    if (streamOutput) target.write(chunk);
    else buffered.push([target, chunk]);
  };
  child.stdout!.on('data', forward(process.stdout));
  child.stderr!.on('data', forward(process.stderr));

  let killTimer: NodeJS.Timeout | undefined;
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    process.stderr.write(`run-all: ${job.label} timed out after ${options.timeoutMs / 1000} s; killing it\n`);
    killGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  }, options.timeoutMs);

  return new Promise((resolve) => {
    let exitStatus: { code: number | null; signal: string | null } = { code: null, signal: null };
    child.once('error', (error) => {
      stdout += `\nrun-all: could not start ${job.label}: ${error.message}\n`;
    });
    // Leftover grandchildren in the group could keep the pipes open: kill them once the file itself exits.
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      killGroup(pid, 'SIGKILL');
    });
    child.once('close', () => {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      runningGroups.delete(pid);
      const tally = job.tally(stdout, { ...exitStatus, timedOut });
      const seconds = (performance.now() - started) / 1000;
      if (!streamOutput) {
        process.stdout.write(`\n── ${job.label}\n`);
        for (const [target, chunk] of buffered) target.write(chunk);
      }
      process.stdout.write(`${describeResult({ label: job.label, tally, seconds })}\n`);
      resolve({ label: job.label, tally, seconds });
    });
  });
}

function describeResult({ label, tally, seconds }: JobResult): string {
  const mark = tally.failed > 0 ? '✘' : '✔';
  const problem = tally.problem ? ` — ${tally.problem}` : '';
  return `${mark} ${label}: ${formatTotals(tally.passed, tally.failed, tally.skipped)}${problem} (${seconds.toFixed(1)} s)`;
}

async function runPool(jobs: Job[], options: Options): Promise<JobResult[]> {
  const results: JobResult[] = new Array(jobs.length);
  const streamOutput = options.jobs === 1;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await runJob(jobs[index], options, streamOutput);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, jobs.length) }, worker));
  return results;
}

function stopOnSignal(signal: NodeJS.Signals): void {
  process.once(signal, () => {
    for (const pid of runningGroups) killGroup(pid, 'SIGKILL');
    process.stderr.write(`\nrun-all: stopped by ${signal}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  stopOnSignal('SIGINT');
  stopOnSignal('SIGTERM');
  process.on('exit', () => {
    for (const pid of runningGroups) killGroup(pid, 'SIGKILL');
    if (!INHERITED_CONFIG) rmSync(CONFIG_HOME, { recursive: true, force: true });
  });

  const files = discoverTestFiles(options.dir, options.filters);
  const results: JobResult[] = [];
  if (options.typecheck) results.push(...(await runPool([typecheckJob], { ...options, jobs: 1 })));
  results.push(...(await runPool(files.map(testFileJob), options)));

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const { tally } of results) {
    passed += tally.passed;
    failed += tally.failed;
    skipped += tally.skipped;
  }
  if (options.filters.length > 0 && files.length === 0) {
    process.stdout.write(`\nrun-all: no test file matches ${options.filters.join(', ')}\n`);
    failed += 1;
  }

  const failures = results.filter(({ tally }) => tally.failed > 0);
  process.stdout.write(`\nFinished: ${options.typecheck ? 'typecheck + ' : ''}${files.length} test file(s).\n`);
  if (failures.length > 0) {
    process.stdout.write('Failed:\n');
    for (const result of failures) process.stdout.write(`  ${describeResult(result)}\n`);
  }
  process.stdout.write(`${formatTotals(passed, failed, skipped)}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
