import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/**
 * Smoke test of the benchmark suite: `bench/run.ts --quick` runs every section and writes its report.
 * It checks that the suite works and cleans up, never how fast anything is.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECTION_HEADINGS = ['## Codec micro-benchmarks', '## Echo throughput (server role)', '## Client role', '## Latency', '## Idle connections', '## Mesh'];

/** Processes whose environment carries `marker` (the suite's children inherit it). */
function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

test('bench/run.ts --quick runs every section, writes the report and leaves no process behind', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'wsmesh-bench-'));
  const out = path.join(directory, 'RESULTS.md');
  const marker = `WSMESH_BENCH_SMOKE=${process.pid}-${Date.now()}`;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--write', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, [marker.split('=')[0]!]: marker.split('=')[1]! },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.is(code, 0, `bench exited with ${code}\n${stdout}\n${stderr}`);
    assert.not.match(stdout, 'Section failed', stdout);
    for (const heading of SECTION_HEADINGS) assert.ok(stdout.includes(heading), `missing section ${heading}`);
    const report = readFileSync(out, 'utf8');
    assert.match(report, /^# wsmesh benchmark results/);
    assert.match(report, /Command: `npm run bench -- --quick --write --out /);
    assert.match(report, /Machine: .+ cores, .+node v\d+/);
    assert.match(report, /\| binary 1 KiB, 1 conn \| wsmesh /, 'our echo server was measured');
    assert.match(report, /\| binary 1 KiB, 1 conn \| wsmesh client /, 'our client was measured');
    assert.not.match(report, /Not measured/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(processesWithMarker(marker), [], 'benchmark processes left running');
  } finally {
    for (const pid of processesWithMarker(marker)) process.kill(pid, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  }
});

test.run();
