import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requirePeer } from '../../helpers/require-peer.ts';
import { CHROMIUM_INSTALL, launchChromium, loadPlaywright, type ChromiumSession } from './chromium.ts';
import { stopWebNodes } from './nodes.ts';

/**
 * Runs this file's tests in one Chromium (with `args` added to its command line): launched before them, closed (with the test nodes) after them,
 * and every test checked for uncaught page errors. Null when chromium is missing outside CI (the tests are
 * then skipped with a notice); under CI=true a missing chromium fails the file.
 */
export async function chromiumSuite(options: { args?: string[] } = {}): Promise<{ readonly session: ChromiumSession } | null> {
  const playwright = await loadPlaywright();
  if (!requirePeer('chromium', playwright !== null, { install: CHROMIUM_INSTALL })) return null;
  const suite = {} as { session: ChromiumSession };
  test.before(async () => {
    suite.session = await launchChromium(playwright!, options.args);
  });
  test.after(async () => {
    await suite.session?.close();
    await stopWebNodes();
  });
  test.after.each(() => {
    assert.equal(suite.session.pageErrors, [], 'no uncaught errors in any page');
  });
  return suite;
}
