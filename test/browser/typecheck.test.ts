// The page and the browser client are plain JS with JSDoc types, checked against the DOM by their own
// tsconfig (the root one is for Node and does not read JS). This keeps that check in the suite.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('tsc -p src/browser: the browser client and the page type-check', () => {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'src/browser/tsconfig.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.is(result.error, undefined);
  assert.is(`${result.stdout}${result.stderr}`.trim(), '');
  assert.is(result.status, 0);
});

test.run();
