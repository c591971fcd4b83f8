// A bench child that stops answering is killed after the request timeout and the request fails with the
// command's name, instead of the whole `npm run bench` waiting forever (a frozen child once held a run for 7 min).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { startChild } from '../../bench/lib/children.ts';
import { waitFor } from '../mesh/support.ts';
import { isProcessAlive } from '../helpers/processes.ts';

const SCRIPT = fileURLToPath(new URL('./fixtures/silent-child.ts', import.meta.url));

test('a request the child never answers fails after its timeout, and the child is killed', async () => {
  const { child, info } = await startChild({ script: SCRIPT });
  assert.is(await child.request<string>('ping', {}, 5000), 'pong');
  const error = await child.request('hang', {}, 300).then(() => null, (failure: Error) => failure);
  assert.ok(error !== null, 'the request failed');
  assert.match(error.message, /no reply to "hang" in 0.3 s; the child was killed/);
  await waitFor(() => !isProcessAlive(info.pid as number), 'the silent child was killed', 5000);
  await child.stop();
});

test.run();
