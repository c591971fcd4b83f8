import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshReadyError, MeshStateError, WsmeshError } from '../../src/errors.ts';
import type { DialFailure } from '../../src/mesh/dial-log.ts';
import { MeshSendError } from '../../src/mesh/messenger.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { createNode } from '../../src/node.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { sleep, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

const QUICK_RETRY = { reconnect: { min: 20, max: 150, jitter: 0 } };

function dialFailures(node: MeshNode): DialFailure[] {
  const seen: DialFailure[] = [];
  node.on('peer:dial-failed', (failure) => seen.push(failure));
  return seen;
}

/** A port nothing listens on: bound once by the OS, then released. */
async function deadPort(): Promise<number> {
  const server = createNetServer();
  const port = await listenOnFreePort(server);
  await closeServer(server);
  return port;
}

test('a broadcast right after start() reached nobody: it throws no-peers instead of returning an id', async () => {
  const a = await startNode({ name: 'a' });
  const error = (() => {
    try {
      a.broadcast('lost?');
    } catch (thrown) {
      return thrown;
    }
    return undefined;
  })();
  assert.instance(error, MeshSendError);
  assert.instance(error, WsmeshError);
  assert.is((error as MeshSendError).code, 'no-peers');
  assert.match((error as Error).message, 'ready()');
});

test('await ready() then broadcast: the README quick start delivers', async () => {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  const got: string[] = [];
  a.on('message', (data) => got.push(String(data)));
  const peers = await b.ready({ timeout: 10_000 });
  assert.equal(peers.map((peer) => peer.id), [a.id]);
  b.broadcast('first message');
  await waitFor(() => got.length === 1, 'a got the first broadcast');
  assert.equal(got, ['first message']);
});

test('ready() times out with a typed error naming the static peer and why it failed; state misuse is typed', async () => {
  const url = `ws://127.0.0.1:${await deadPort()}/`;
  const a = await startNode({ name: 'a', peers: [url], ...QUICK_RETRY });
  const error = await a.ready({ timeout: 300 }).then(() => undefined, (thrown: unknown) => thrown);
  assert.instance(error, MeshReadyError);
  assert.is((error as MeshReadyError).code, 'ready-timeout');
  assert.match((error as Error).message, `0 of 1 peers connected after 300 ms; ${url}: connection refused`);
  const fresh = createNode({ mdns: false });
  for (const call of [() => fresh.broadcast('x'), () => fresh.addPeer(url)]) {
    assert.throws(call, (thrown: unknown) => thrown instanceof MeshStateError && thrown.code === 'invalid-state');
  }
  await a.stop();
  assert.throws(() => a.broadcast('x'), (thrown: unknown) => thrown instanceof MeshStateError && /this one is stopped/.test(thrown.message));
  await assert.not.throws(() => a.send('x', 'y').catch(() => {}));
  assert.instance(await a.send('x', 'y').catch((thrown: unknown) => thrown), MeshStateError);
});

test('each failed dial is an event with url, attempt and cause; a dead port is retried with backoff', async () => {
  const url = `ws://127.0.0.1:${await deadPort()}/`;
  const a = await startNode({ name: 'a', peers: [url], ...QUICK_RETRY });
  const seen = dialFailures(a);
  await waitFor(() => seen.length >= 3, 'three failed dials');
  assert.equal(seen.slice(0, 3).map((failure) => [failure.url, failure.attempt, failure.code, failure.peerId]), [[url, 1, null, null], [url, 2, null, null], [url, 3, null, null]]);
  assert.match(seen[0].cause, 'connection refused');
  const [listed] = a.staticPeers();
  assert.is(listed.url, url);
  assert.is(listed.peerId, null);
  assert.ok(listed.failures >= 3);
  assert.match(listed.lastError ?? '', 'connection refused');
  const status = (await (await fetch(a.urls[0].replace('ws:', 'http:') + 'status')).json()) as { staticPeers: Array<{ url: string; lastError: string }> };
  assert.is(status.staticPeers[0].url, url);
  assert.match(status.staticPeers[0].lastError, 'connection refused');
});

test('an HTTP server answering 200 is reported as not a wsmesh node, with the status', async () => {
  const http = createServer((_request, response) => response.end('hello'));
  const port = await listenOnFreePort(http);
  try {
    const url = `ws://127.0.0.1:${port}/`;
    const a = await startNode({ name: 'a', peers: [url], ...QUICK_RETRY });
    const seen = dialFailures(a);
    await waitFor(() => seen.length >= 2, 'two failed dials');
    assert.equal([seen[0].url, seen[0].attempt, seen[0].code, seen[1].attempt], [url, 1, 200, 2]);
    assert.match(seen[0].cause, /^not a wsmesh node: server refused the WebSocket handshake: "HTTP\/1.1 200 OK"/);
  } finally {
    http.closeAllConnections();
    await closeServer(http);
  }
});

test('a wrong mesh and a wrong secret are dial failures with the close code; the refused peer is retried', async () => {
  const other = await startNode({ name: 'other', mesh: 'other-mesh' });
  const locked = await startNode({ name: 'locked', secret: 'the right secret' });
  const a = await startNode({ name: 'a', secret: 'a wrong secret', peers: [locked.urls[0]], ...QUICK_RETRY });
  const b = await startNode({ name: 'b', peers: [other.urls[0]], ...QUICK_RETRY });
  const atA = dialFailures(a);
  const atB = dialFailures(b);
  await waitFor(() => atA.length >= 2 && atB.length >= 2, 'each refused peer was dialled twice');
  assert.equal([atA[0].code, atA[0].attempt, atA[1].attempt, atA[0].peerId], [4001, 1, 2, locked.id]);
  assert.match(atA[0].cause, /^refused by (the peer|this node): 4001 /);
  assert.equal([atB[0].code, atB[1].attempt, atB[0].url], [4002, 2, other.urls[0]]);
  assert.match(atB[0].cause, /^refused by (the peer|this node): 4002 mesh "/);
  assert.match(a.staticPeers()[0].lastError ?? '', '4001');
});

test('two nodes with the same identity key: "another node uses this id", not "connected to itself"', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsmesh-same-id-'));
  try {
    const keyFile = path.join(dir, 'identity.key');
    const a = await startNode({ keyFile, ephemeralIdentity: false, name: 'a' });
    const b = await startNode({ keyFile, ephemeralIdentity: false, name: 'b', peers: [a.urls[0]] });
    assert.is(a.id, b.id);
    const seen = dialFailures(b);
    await waitFor(() => seen.length >= 1, 'the dial failed');
    assert.is(seen[0].code, 4004);
    assert.match(seen[0].cause, `another node uses this id (${a.id})`);
    assert.not.match(seen[0].cause, 'itself');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dial that finally succeeds clears the last error', async () => {
  const port = await deadPort();
  const url = `ws://127.0.0.1:${port}/`;
  const a = await startNode({ name: 'a', peers: [url], ...QUICK_RETRY });
  const seen = dialFailures(a);
  await waitFor(() => seen.length >= 1, 'a failed dial');
  const b = await startNode({ name: 'b', port });
  await a.ready({ timeout: 10_000 });
  assert.equal(a.staticPeers().map((peer) => [peer.url, peer.peerId, peer.state, peer.lastError]), [[url, b.id, 'connected', null]]);
});

test('a peer that left (close 1001) and was known only by its own connection is not redialled', async () => {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  await b.ready({ timeout: 10_000 });
  const failures = dialFailures(a);
  const id = b.id;
  await b.stop();
  await waitFor(() => a.peer(id)?.state === 'lost', 'a marked the stopped peer lost');
  await sleep(1500);
  assert.equal(failures.map((failure) => failure.url), [], 'no dial of the address the peer came from');
  assert.equal(a.peer(id)!.addresses, []);
});

test.run();
