/** Counts for one test file, parsed from uvu's summary or inferred from how the process ended. */
export interface FileTally {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the counts are not just uvu's summary (crash, timeout, non-zero exit); null when they are. */
  problem: string | null;
}

export interface UvuSummary {
  total: number;
  passed: number;
  skipped: number;
}

const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** The last `Total: / Passed: / Skipped:` block uvu printed, or null if there is none. */
export function parseUvuSummary(output: string): UvuSummary | null {
  const text = stripAnsi(output);
  const pattern = /^\s*Total:\s+(\d+)\s*\n\s*Passed:\s+(\d+)\s*\n\s*Skipped:\s+(\d+)\s*$/gm;
  let last: UvuSummary | null = null;
  for (const match of text.matchAll(pattern)) {
    last = { total: Number(match[1]), passed: Number(match[2]), skipped: Number(match[3]) };
  }
  return last;
}

/**
 * Combines uvu's summary with the exit status. A file that exits non-zero, is killed, or times out counts
 * at least one failure even when its summary claims success (or is missing).
 */
export function tallyFile(
  output: string,
  exit: { code: number | null; signal: string | null; timedOut: boolean },
): FileTally {
  const summary = parseUvuSummary(output);
  let failed = summary ? summary.total - summary.passed : 0;
  let problem: string | null = null;
  if (exit.timedOut) problem = summary ? 'timed out after its summary: something kept the process alive' : 'timed out';
  else if (exit.signal) problem = `killed by ${exit.signal}`;
  else if (!summary) problem = `exited with code ${exit.code}`;
  else if (exit.code !== 0 && failed === 0) problem = `exited with code ${exit.code} although its tests passed`;
  if (problem && !summary) problem += ' without a uvu summary';
  if (problem) failed = Math.max(failed, 1);
  return { passed: summary?.passed ?? 0, failed, skipped: summary?.skipped ?? 0, problem };
}

export function formatTotals(passed: number, failed: number, skipped: number): string {
  return `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : '');
}
