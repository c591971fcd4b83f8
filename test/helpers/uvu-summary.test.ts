import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatTotals, parseUvuSummary, tallyFile } from './uvu-summary.ts';

const summary = (total: number, passed: number, skipped: number) =>
  `  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  1.23ms\n\n`;
const exited = (code: number | null, signal: string | null = null, timedOut = false) => ({ code, signal, timedOut });

test('parses the summary uvu prints', () => {
  assert.equal(parseUvuSummary(`• • ✘  (2 / 3)\n\n${summary(3, 2, 1)}`), { total: 3, passed: 2, skipped: 1 });
});

test('parses a colored summary', () => {
  const colored = '\n  Total:     4\x1b[32m\n  Passed:    4\x1b[39m\n  Skipped:   \x1b[33m2\x1b[39m\n  Duration:  1ms\n';
  assert.equal(parseUvuSummary(colored), { total: 4, passed: 4, skipped: 2 });
});

test('no summary -> null', () => {
  assert.is(parseUvuSummary('TypeError: boom\n    at x.ts:1:1\n'), null);
});

test('a clean file counts its passes, failures and skips', () => {
  assert.equal(tallyFile(summary(5, 5, 1), exited(0)), { passed: 5, failed: 0, skipped: 1, problem: null });
  assert.equal(tallyFile(summary(5, 3, 0), exited(1)), { passed: 3, failed: 2, skipped: 0, problem: null });
});

test('a crash without a summary counts one failure', () => {
  assert.equal(tallyFile('Error: boom\n', exited(1)), {
    passed: 0,
    failed: 1,
    skipped: 0,
    problem: 'exited with code 1 without a uvu summary',
  });
  assert.equal(tallyFile('', exited(0)).failed, 1);
});

test('a non-zero exit after an all-passed summary counts one failure', () => {
  assert.equal(tallyFile(summary(2, 2, 0), exited(1)), {
    passed: 2,
    failed: 1,
    skipped: 0,
    problem: 'exited with code 1 although its tests passed',
  });
});

test('a timeout or signal counts at least one failure', () => {
  assert.equal(tallyFile('• • ', exited(null, 'SIGTERM', true)), {
    passed: 0,
    failed: 1,
    skipped: 0,
    problem: 'timed out without a uvu summary',
  });
  assert.equal(tallyFile(summary(3, 1, 0), exited(null, 'SIGKILL')).failed, 2);
  assert.equal(tallyFile(summary(2, 2, 0), exited(null, 'SIGTERM', true)), {
    passed: 2,
    failed: 1,
    skipped: 0,
    problem: 'timed out after its summary: something kept the process alive',
  });
});

test('final line format', () => {
  assert.is(formatTotals(10, 0, 0), '10 passed, 0 failed');
  assert.is(formatTotals(10, 2, 3), '10 passed, 2 failed, 3 skipped');
});

test.run();
