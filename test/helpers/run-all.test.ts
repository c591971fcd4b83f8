import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from './processes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Inside the repository (git-ignored) so that the fixtures resolve uvu from its node_modules.
const FIXTURES = path.posix.join('test-artifacts', `run-all-${process.pid}`);
const GRANDCHILD_PID_FILE = path.join(ROOT, FIXTURES, 'grandchild.pid');

const fixtures: Record<string, string> = {
  'a/pass.test.ts': `import { test } from 'uvu';
test('one', () => {});
test('two', () => {});
test.skip('skipped');
test.run();`,
  'a/fail.test.ts': `import { test } from 'uvu';
import * as assert from 'uvu/assert';
test('passes', () => {});
test('fails', () => assert.is(1, 2));
test.run();`,
  'b/crash.test.ts': `throw new Error('crash at import time');`,
  'b/hang.test.ts': `import { test } from 'uvu';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
test('hangs with a grandchild', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(${JSON.stringify(GRANDCHILD_PID_FILE)}, String(child.pid));
  await new Promise(() => {});
});
test.run();`,
  'c/peer-missing.test.ts': `import { test } from 'uvu';
import { requirePeer } from '${path.relative(path.join(ROOT, FIXTURES, 'c'), path.join(ROOT, 'test/helpers/require-peer.ts'))}';
test('independent of the peer', () => {});
if (requirePeer('imaginary-peer', false, { install: 'nothing' })) test('needs the peer', () => {});
test.run();`,
};

function runAll(args: string[], ci: boolean) {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  if (ci) env.CI = 'true';
  else delete env.CI;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/run-all.ts', '--dir', FIXTURES, '--skip-typecheck', '--timeout', '3', ...args],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 },
  );
  const lines = result.stdout.trimEnd().split('\n');
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, lastLine: lines[lines.length - 1] };
}

test.before(() => {
  for (const [name, source] of Object.entries(fixtures)) {
    const file = path.join(ROOT, FIXTURES, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, source);
  }
});

test.after(() => {
  rmSync(path.join(ROOT, FIXTURES), { recursive: true, force: true });
});

test('counts passes, failures, crashes, timeouts and a missing peer under CI; last line is the total', async () => {
  const run = runAll(['--jobs', '2'], true);
  assert.is(run.lastLine, '4 passed, 4 failed, 1 skipped', run.stdout + run.stderr);
  assert.is(run.status, 1);
  assert.ok(run.stdout.includes('✘ test-artifacts/run-all-'), 'per-file result lines');
  assert.match(run.stdout, /hang\.test\.ts: 0 passed, 1 failed — timed out/);
  assert.match(run.stdout, /crash\.test\.ts: 0 passed, 1 failed — exited with code 1 without a uvu summary/);
  assert.match(run.stderr, /peer "imaginary-peer" is missing and CI=true/);

  // The hanging file's own child was in its process group and died with it.
  const grandchild = Number(readFileSync(GRANDCHILD_PID_FILE, 'utf8'));
  for (let attempt = 0; attempt < 50 && isProcessAlive(grandchild); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.not.ok(isProcessAlive(grandchild), `grandchild ${grandchild} still running`);
});

test('outside CI a missing peer is skipped with a notice', () => {
  const run = runAll(['peer-missing'], false);
  assert.is(run.lastLine, '1 passed, 0 failed, 1 skipped', run.stdout + run.stderr);
  assert.is(run.status, 0);
  assert.match(run.stderr, /SKIP: peer "imaginary-peer" is missing/);
});

test('filters select files by path', () => {
  const run = runAll(['a/pass'], true);
  assert.is(run.lastLine, '2 passed, 0 failed, 1 skipped');
  assert.is(run.status, 0);
});

test('a filter that matches nothing fails', () => {
  const run = runAll(['no-such-file'], true);
  assert.is(run.lastLine, '0 passed, 1 failed');
  assert.is(run.status, 1);
});

test('bad options exit 2 with the usage', () => {
  const run = runAll(['--jobs', 'zero'], true);
  assert.is(run.status, 2);
  assert.match(run.stderr, /--jobs must be a positive integer/);
});

test.run();
