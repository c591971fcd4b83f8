import { test as defaultTest } from 'uvu';
import type { Test } from 'uvu';

export const isCI = process.env.CI === 'true';

/**
 * Gate for tests that need an external peer (python3-websockets, chromium, zeroconf, ip netns, ...).
 * Returns true when the peer is available: register the tests that need it.
 * When it is missing:
 *  - under CI=true a failing test "requires <name>" is registered (in `suite`, default uvu `test`) and the
 *    process exits non-zero, so a missing peer can never pass CI silently;
 *  - otherwise a notice is printed on stderr and one skipped test is counted.
 * Call `suite.run()` as usual afterwards (also when this returns false).
 */
export function requirePeer<T>(
  name: string,
  available: boolean,
  options: { suite?: Test<T>; install?: string } = {},
): boolean {
  if (available) return true;
  const suite = (options.suite ?? defaultTest) as Test<T>;
  const hint = options.install ? ` (install: ${options.install})` : '';
  if (isCI) {
    const message = `peer "${name}" is missing and CI=true: tests that need it cannot run${hint}`;
    console.error(`FAIL: ${message}`);
    suite(`requires ${name}`, () => {
      throw new Error(message);
    });
    // Fail the process even if the suite above is never run.
    process.on('exit', () => {
      process.exitCode = 1;
    });
  } else {
    console.error(`SKIP: peer "${name}" is missing; skipping the tests that need it${hint}`);
    suite.skip(`requires ${name}`);
  }
  return false;
}
