import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnManaged } from '../helpers/processes.ts';
import { ROOT } from './support.ts';

test('demo/chat.ts: three nodes mesh, chat across a relay, and exit 0', async () => {
  const demo = spawnManaged(process.execPath, ['--import', 'tsx', 'demo/chat.ts'], { cwd: ROOT });
  try {
    const status = await demo.exited;
    assert.equal(status, { code: 0, signal: null }, demo.stderr());
    const lines = demo.lines;
    for (const expected of [
      'bob: <alice> hello everyone [1 hop]',
      'carol: <alice> hello everyone [2 hops]',
      'alice: <carol> (direct) hi alice, carol here [2 hops]',
      'carol: alice acknowledged',
    ]) {
      assert.ok(lines.includes(expected), `missing line: ${expected}\n${lines.join('\n')}`);
    }
  } finally {
    await demo.kill();
  }
});

test.run();
