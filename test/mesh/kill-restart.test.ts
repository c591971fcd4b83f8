import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManagedProcess } from '../helpers/processes.ts';
import { cliConnected, cliEvents, spawnCli, startNode, stopAllNodes, tempKeyFile, waitFor, waitForEvent } from './support.ts';

const FAST_ARGS = ['--json', '--ping-interval', '200', '--ping-timeout', '400'];
const children = new Set<ManagedProcess>();

function cli(args: string[]): ManagedProcess {
  const child = spawnCli([...FAST_ARGS, ...args]);
  children.add(child);
  return child;
}

async function readyUrl(child: ManagedProcess): Promise<string> {
  return (await waitForEvent(child, (event) => event.event === 'ready', 'the node is ready')).urls[0];
}

test.after.each(async () => {
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
  await stopAllNodes();
});

test('a frozen node is reported ping-timeout, a killed one disconnected; restarted, it rejoins', async () => {
  const a = cli(['--name', 'a']);
  const urlA = await readyUrl(a);
  const b = cli(['--name', 'b', '--peer', urlA]);
  const urlB = await readyUrl(b);
  const { keyFile: cKey, id: cId } = tempKeyFile();
  let c = cli(['--name', 'c', '--key-file', cKey, '--peer', urlA, '--peer', urlB]);
  const urlC = await readyUrl(c);
  const port = new URL(urlC).port;
  await waitFor(() => [a, b, c].every((child) => cliConnected(child).length === 2), 'a full mesh of three processes');

  const marks = [a, b].map((child) => cliEvents(child).length);
  process.kill(c.pid, 'SIGSTOP');
  for (const [index, child] of [a, b].entries()) {
    const event = await waitForEvent(child, (e) => e.event === 'peer:disconnected' && e.peer.id === cId, 'c is reported gone', marks[index]);
    assert.equal(event.reason, { type: 'ping-timeout' });
  }
  process.kill(c.pid, 'SIGKILL');
  await c.exited;

  const beforeRestart = [a, b].map((child) => cliEvents(child).length);
  c = cli(['--name', 'c', '--key-file', cKey, '--port', port, '--peer', urlA]);
  await readyUrl(c);
  for (const [index, child] of [a, b].entries()) {
    await waitForEvent(child, (e) => e.event === 'peer:connected' && e.peer.id === cId, 'c rejoined', beforeRestart[index]);
  }
  await waitFor(() => cliConnected(c).length === 2, 'the restarted c is connected to a and b');

  const beforeKill = [a, b].map((child) => cliEvents(child).length);
  c.child.kill('SIGKILL');
  for (const [index, child] of [a, b].entries()) {
    const event = await waitForEvent(child, (e) => e.event === 'peer:disconnected' && e.peer.id === cId, 'the killed c is reported', beforeKill[index]);
    // The kernel closes a killed process's sockets, so the drop is seen at once: a FIN without close
    // frame (1006), or a reset (when unread bytes, e.g. our pings, were still in its receive buffer).
    const dropped = JSON.stringify(event.reason);
    assert.ok(
      dropped === JSON.stringify({ type: 'close', code: 1006, reason: '', by: 'remote' }) ||
        /^\{"type":"error","message":"(read|write) (ECONNRESET|EPIPE)"\}$/.test(dropped),
      dropped,
    );
  }
});

test('messages sent while a peer restarts arrive exactly once, every send() acknowledged', async () => {
  const a = await startNode({ name: 'a', sendTimeout: 30_000 });
  const { keyFile: bKey, id: bId } = tempKeyFile();
  let b = cli(['--name', 'b', '--key-file', bKey, '--peer', a.urls[0]]);
  const port = new URL(await readyUrl(b)).port;
  await waitFor(() => a.peers().some((peer) => peer.id === bId && peer.state === 'connected'), 'a connected to b');
  b.child.kill('SIGKILL');
  await b.exited;
  await waitFor(() => a.peers().some((peer) => peer.id === bId && peer.state !== 'connected'), 'a noticed b is gone');

  const texts = Array.from({ length: 20 }, (_, index) => `while-down-${index}`);
  const sends = texts.map((text) => a.send(bId, text));
  assert.is(a.peers().find((peer) => peer.id === bId)!.state === 'connected', false);
  b = cli(['--name', 'b', '--key-file', bKey, '--port', port]);
  await Promise.all(sends);
  await waitFor(() => cliEvents(b).filter((event) => event.event === 'message').length >= 20, 'b printed the messages');
  const more = texts.map((text) => a.send(bId, `${text}-after`));
  await Promise.all(more);
  await waitFor(() => cliEvents(b).filter((event) => event.event === 'message').length >= 40, 'b printed the later messages');
  const received = cliEvents(b)
    .filter((event) => event.event === 'message')
    .map((event) => event.data as string);
  assert.equal(received.slice(0, 20).sort(), [...texts].sort());
  assert.is(new Set(received).size, received.length, 'no message was delivered twice');
  assert.is(received.length, 40);
});

test.run();
