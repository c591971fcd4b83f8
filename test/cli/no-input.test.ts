// Standard input that is /dev/null (systemd, `wsmesh ... &` in a script, docker without -i) means "no input",
// not "an empty pipe": the node keeps running until a signal instead of exiting at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManagedProcess } from '../helpers/processes.ts';
import { spawnManaged } from '../helpers/processes.ts';
import { ROOT, sleep, spawnCli, startNode, stopAllNodes } from '../mesh/support.ts';

const children = new Set<ManagedProcess>();

test.after.each(async () => {
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
  await stopAllNodes();
});

/** The CLI as `wsmesh ARGS < /dev/null` runs it (exec keeps the pid, so signals reach the node). */
function cliWithoutInput(args: string[]): ManagedProcess {
  const command = 'exec "$0" --import tsx src/cli/main.ts --host 127.0.0.1 --port 0 --no-mdns --ephemeral-key "$@" < /dev/null';
  const child = spawnManaged('/bin/sh', ['-c', command, process.execPath, ...args], { cwd: ROOT });
  children.add(child);
  return child;
}

test('wsmesh < /dev/null keeps running as a node: it connects, receives, and exits 0 on SIGTERM', async () => {
  const peer = await startNode({ name: 'listener' });
  const child = cliWithoutInput(['--name', 'daemon', '--peer', peer.urls[0]]);
  let exited = false;
  void child.exited.then(() => (exited = true));
  await child.waitForLine(/^\+ connected listener /, 20_000);
  peer.broadcast('are you there');
  await child.waitForLine(/^<listener> are you there$/, 10_000);
  await sleep(300);
  assert.not.ok(exited, `the CLI exited with /dev/null as input; stderr:\n${child.stderr()}`);
  child.child.kill('SIGTERM');
  assert.equal(await child.exited, { code: 0, signal: null });
});

test('wsmesh < /dev/null with no peer at all still runs (nothing was to be sent, nothing failed)', async () => {
  const child = cliWithoutInput(['--name', 'alone']);
  let exited = false;
  void child.exited.then(() => (exited = true));
  await child.waitForLine(/^web page http:/, 20_000);
  await sleep(1000);
  assert.not.ok(exited, `the CLI exited with /dev/null as input; stderr:\n${child.stderr()}`);
});

test('echo hi | wsmesh | head -1: once standard output is closed, the piped line is still sent, exit 0, no stack trace', async () => {
  const peer = await startNode({ name: 'listener' });
  const got: string[] = [];
  peer.on('message', (data) => got.push(String(data)));
  const child = spawnCli(['--name', 'piped-out', '--peer', peer.urls[0]]);
  children.add(child);
  await child.waitForLine(/^wsmesh node piped-out /, 20_000);
  // The lines that follow (the banner's rest, "+ connected listener") hit a closed pipe: EPIPE.
  child.child.stdout!.destroy();
  child.child.stdin!.end('hi\n');
  const status = await child.exited;
  assert.equal(status, { code: 0, signal: null }, child.stderr());
  assert.equal(got, ['hi']);
  assert.not.match(child.stderr(), /EPIPE|\n\s+at /);
});

test.run();
