// The CLI node serves the web UI and applies --allow-origin (no browser needed here: the page's own
// tests run in Chromium against in-process nodes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCliArgs, UsageError } from '../../src/cli/args.ts';
import type { AccessAnswer } from '../../src/web/access-check.ts';
import { killAllChildren } from '../helpers/processes.ts';
import { spawnCli } from '../mesh/support.ts';

test.after(killAllChildren);

test('--allow-origin repeats, is normalised, and a bad value is a usage error naming it', () => {
  const command = parseCliArgs(['--allow-origin', 'HTTP://App.Example:8080', '--allow-origin', 'null']);
  assert.ok(!command.help);
  if (command.help) return;
  assert.equal(command.node.allowOrigins, ['http://app.example:8080', 'null']);
  assert.throws(() => parseCliArgs(['--allow-origin', 'app.example']), (error: Error) => {
    return error instanceof UsageError && /--allow-origin "app.example" is not an origin/.test(error.message);
  });
});

test('the CLI prints its page URL, serves the page, and /access applies --allow-origin', async () => {
  const cli = spawnCli(['--name', 'webby', '--allow-origin', 'http://127.0.0.1:9']);
  const page = (await cli.waitForLine(/^web page (http:\/\/127\.0\.0\.1:\d+\/)$/))[1];
  const html = await fetch(page);
  assert.is(html.status, 200);
  assert.match(await html.text(), '<script type="module" src="app.js"></script>');
  const ask = async (origin: string) => (await (await fetch(`${page}access`, { headers: { origin } })).json()) as AccessAnswer;
  assert.equal((await ask('http://127.0.0.1:9')).allowed, true);
  assert.equal((await ask('http://127.0.0.1:10')).allowed, false);
  assert.equal((await ask(new URL(page).origin)).allowed, true);
  const status = await fetch(`${page}status`);
  assert.is(status.status, 200, 'the node still answers /status');
});

test.run();
