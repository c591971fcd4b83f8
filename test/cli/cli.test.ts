import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManagedProcess } from '../helpers/processes.ts';
import { spawnCli } from '../mesh/support.ts';

const children = new Set<ManagedProcess>();
const tempDir = mkdtempSync(path.join(tmpdir(), 'wsmesh-cli-'));

function cli(args: string[]): ManagedProcess {
  const child = spawnCli(args);
  children.add(child);
  return child;
}

async function listenUrl(child: ManagedProcess): Promise<string> {
  return (await child.waitForLine(/^listening on (ws:\/\/\S+)/))[1];
}

test.after.each(async () => {
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
});
test.after(() => rmSync(tempDir, { recursive: true, force: true }));

test('bad options: a message naming the problem on stderr, exit status 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--port', 'eighty'], /--port must be an integer from 0 to 65535, got "eighty"/],
    [['--port', '70000'], /--port must be an integer/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--peer', 'http://127.0.0.1:1/'], /--peer: peer address "http:\/\/127.0.0.1:1\/" must start with ws:\/\//],
    [['--secret-file', path.join(tempDir, 'missing')], /cannot read --secret-file/],
    [['--ping-interval', '0'], /--ping-interval must be an integer from 1/],
  ];
  for (const [args, message] of cases) {
    const child = cli(args);
    const status = await child.exited;
    assert.is(status.code, 2, `${args.join(' ')} exits 2`);
    assert.match(child.stderr(), message);
    assert.match(child.stderr(), 'try wsmesh --help');
    assert.is(child.stdout(), '');
  }
});

test('--help prints the usage and exits 0', async () => {
  const child = cli(['--help']);
  assert.is((await child.exited).code, 0);
  assert.match(child.stdout(), /^usage: wsmesh \[options\]/);
  assert.match(child.stdout(), '--secret-file F');
  assert.match(child.stdout(), 'default 7447');
});

test('two CLIs chat: broadcast, /peers, /msg; SIGTERM and /quit exit 0 after closing with 1001', async () => {
  const secretFile = path.join(tempDir, 'secret');
  writeFileSync(secretFile, 'shared secret\n');
  const alice = cli(['--name', 'alice', '--secret-file', secretFile]);
  const bob = cli(['--name', 'bob', '--secret-file', secretFile, '--peer', await listenUrl(alice)]);
  await listenUrl(bob);
  assert.match(alice.lines[0], /^wsmesh node alice id [0-9a-f]{32} mesh wsmesh$/);
  await alice.waitForLine(/^\+ connected bob \([0-9a-f]{8}\) node inbound$/);
  await bob.waitForLine(/^\+ connected alice \([0-9a-f]{8}\) node outbound$/);

  bob.child.stdin!.write('hello from bob\n');
  await alice.waitForLine(/^<bob> hello from bob$/);

  alice.child.stdin!.write('/peers\n');
  await alice.waitForLine(/^NAME\s+ID\s+KIND\s+STATE\s+DIR\s+VIA\s+RTT\s+SRTT\s+IN\s+OUT\s+ADDRESS$/);
  const row = await alice.waitForLine(/^bob\s+[0-9a-f]{8}\s+node\s+connected\s+inbound\s/);
  const header = alice.lines.find((line) => line.startsWith('NAME'))!;
  assert.is(row.input!.indexOf('connected'), header.indexOf('STATE'), 'columns are aligned');

  alice.child.stdin!.write('/msg bob psst\n');
  await bob.waitForLine(/^<alice> \(direct\) psst$/);
  await alice.waitForLine(/^> delivered to bob \([0-9a-f]{8}\)$/);
  alice.child.stdin!.write('/msg nobody hi\n');
  await alice.waitForLine(/^! no peer named or with id nobody$/);

  alice.child.kill('SIGTERM');
  assert.equal(await alice.exited, { code: 0, signal: null });
  await bob.waitForLine(/^- disconnected alice \([0-9a-f]{8}\): close 1001 "node stopping" by remote/);
  bob.child.stdin!.write('/quit\n');
  assert.equal(await bob.exited, { code: 0, signal: null });
});

test('--json prints one JSON object per line', async () => {
  const first = cli(['--name', 'first', '--json']);
  const url = (await first.waitForLine(/"event":"ready"/)).input!;
  const ready = JSON.parse(url);
  const second = cli(['--name', 'second', '--json', '--peer', ready.urls[0]]);
  await second.waitForLine(/"event":"peer:connected"/);
  second.child.stdin!.write('/peers\n');
  const peers = JSON.parse((await second.waitForLine(/"event":"peers"/)).input!);
  assert.equal(peers.peers.map((peer: { name: string; state: string }) => [peer.name, peer.state]), [['first', 'connected']]);
  for (const line of [...first.lines, ...second.lines]) assert.type(JSON.parse(line).event, 'string');
});

test.run();
