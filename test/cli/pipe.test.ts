import { createServer as createNetServer } from 'node:net';
import { test } from 'uvu';
import { RawPeer } from '../security/raw-peer.ts';
import * as assert from 'uvu/assert';
import { connect } from '../../src/transport/connect.ts';
import type { ManagedProcess } from '../helpers/processes.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { sleep, spawnCli, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';

const children = new Set<ManagedProcess>();

function cli(args: string[]): ManagedProcess {
  const child = spawnCli(args);
  children.add(child);
  return child;
}

/** What `echo ... | wsmesh` does: the lines, then the end of standard input. */
function pipeIn(child: ManagedProcess, text: string): void {
  child.child.stdin!.end(text);
}

async function deadUrl(): Promise<string> {
  const server = createNetServer();
  const port = await listenOnFreePort(server);
  await closeServer(server);
  return `ws://127.0.0.1:${port}/`;
}

test.after.each(async () => {
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
  await stopAllNodes();
});

test('echo hi | wsmesh --peer URL: waits for the peer, sends, exits 0', async () => {
  const peer = await startNode({ name: 'listener' });
  const got: string[] = [];
  peer.on('message', (data) => got.push(String(data)));
  const child = cli(['--name', 'piper', '--peer', peer.urls[0]]);
  pipeIn(child, 'hi\n');
  const status = await child.exited;
  assert.is(status.code, 0, child.stderr());
  await waitFor(() => got.length === 1, 'the peer got the piped line');
  assert.equal(got, ['hi']);
});

test('piped /msg waits for the ack before exiting 0', async () => {
  const peer = await startNode({ name: 'listener' });
  const got: string[] = [];
  peer.on('message', (data, info) => got.push(`${info.to === null ? 'all' : 'direct'}:${String(data)}`));
  const child = cli(['--peer', peer.urls[0]]);
  pipeIn(child, '/msg listener one\n/msg listener two\n');
  assert.is((await child.exited).code, 0, child.stderr());
  assert.equal(got, ['direct:one', 'direct:two']);
  assert.ok(child.lines.filter((line) => line.startsWith('> delivered to listener')).length === 2, child.stdout());
});

test('piped input with no reachable peer: bounded wait, exit 1 naming what was not delivered', async () => {
  const url = await deadUrl();
  const child = cli(['--peer', url, '--wait', '400']);
  pipeIn(child, 'hello?\n');
  const status = await child.exited;
  assert.is(status.code, 1);
  assert.match(child.stderr(), /not delivered:\n {2}broadcast "hello\?": ready\(\): 0 of 1 peers connected after 400 ms; ws:\/\/127\.0\.0\.1:\d+\/: connection refused/);
});

test('a peer that cannot be reached is one line, not one line per retry', async () => {
  const url = await deadUrl();
  const child = cli(['--peer', url]);
  await child.waitForLine(/^! cannot reach /);
  await sleep(1600); // the backoff (250, 500, 1000 ms) dials again at least twice meanwhile
  const lines = child.lines.filter((line) => line.includes(url));
  assert.equal(lines, [`! cannot reach ${url}: connection refused (nothing listens there) (retrying)`]);
});

test('attack: a name with ESC sequences never reaches the terminal raw (ids are key hashes, hex only)', async () => {
  const child = cli(['--name', 'victim']);
  const url = (await child.waitForLine(/^listening on (ws:\/\/\S+)/))[1];
  const evilName = 'x\u001b[31mred\u009b1m\u202eeman\u001b]0;pwned\u0007';
  const peer = await RawPeer.join(url, { name: evilName });
  await child.waitForLine(/^\+ connected /);
  child.child.stdin!.write('/peers\n');
  await child.waitForLine(/^NAME\s+ID/);
  await child.waitForLine(/connected/);
  peer.ws.close(1000, '\u001b[5mbye');
  await child.waitForLine(/^- disconnected /);
  const out = child.stdout();
  assert.not.match(out, /[\u001b\u0007\u009b\u202e]/, 'no control character or bidi override reached stdout');
  assert.match(out, `+ connected x?[31mred?1m?eman?]0;pwned? (${peer.id.slice(0, 8)}) node inbound`);
});

// Attack: in an open mesh anyone may join under the name of another peer. `/msg bob …` must not go to
// whichever "bob" the table lists first: two peers of one name are refused, naming their ids.
test('/msg to a name two peers claim: not sent to either, exit 1 naming both ids; an id prefix still works', async () => {
  const bob = await startNode({ name: 'bob' });
  const got: string[] = [];
  bob.on('message', (data) => got.push(String(data)));
  const child = cli(['--name', 'alice', '--peer', bob.urls[0]]);
  const [, url] = await child.waitForLine(/^listening on (ws:\/\/\S+)/, 20_000);
  await child.waitForLine(/^\+ connected bob /, 20_000);
  const impostor = await RawPeer.join(url, { kind: 'browser', name: 'bob' });
  await child.waitForLine(/^\+ connected bob \S+ browser/, 20_000);
  child.child.stdin!.end(`/msg bob the secret plan\n/msg ${bob.id.slice(0, 8)} for the real bob\n`);
  const status = await child.exited;
  const why = `2 peers are named bob (${[bob.id, impostor.id].map((id) => id.slice(0, 8)).sort().join(', ')}): use an id prefix`;
  const sorted = (text: string) => text.replace(/\(([0-9a-f]{8}), ([0-9a-f]{8})\)/, (_all, a: string, b: string) => `(${[a, b].sort().join(', ')})`);
  assert.is(status.code, 1, child.stderr());
  assert.ok(child.lines.some((line) => sorted(line) === `! ${why}`), child.stdout());
  assert.match(sorted(child.stderr()), `message to bob: ${why}`);
  await waitFor(() => got.length === 1, 'the message by id prefix reached bob');
  assert.equal(got, ['for the real bob']);
  assert.equal(impostor.messages('msg'), []);
});

test.run();
