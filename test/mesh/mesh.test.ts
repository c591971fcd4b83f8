import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MessageInfo } from '../../src/mesh/messenger.ts';
import { MeshSendError } from '../../src/mesh/messenger.ts';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

function collect(node: MeshNode): Array<{ data: string; info: MessageInfo }> {
  const received: Array<{ data: string; info: MessageInfo }> = [];
  node.on('message', (data, info) => received.push({ data: typeof data === 'string' ? data : `bin:${data.toString('hex')}`, info }));
  return received;
}

test('three nodes with static peers form a full mesh, one connection per pair', async () => {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  const c = await startNode({ name: 'c', peers: [a.urls[0], b.urls[0]] });
  const nodes = [a, b, c];
  await waitFor(() => nodes.every((node) => connectedIds(node).length === 2), 'every node has two connected peers');
  await waitFor(() => nodes.every((node) => node.connectionCount === 2), 'no extra connections remain');
  assert.equal(connectedIds(a), [b.id, c.id].sort());
  const status = (await (await fetch(`http://127.0.0.1:${a.port}/status`)).json()) as { id: string; name: string; peers: Array<{ id: string }> };
  assert.is(status.id, a.id);
  assert.is(status.name, 'a');
  assert.equal(status.peers.map((peer) => peer.id).sort(), [b.id, c.id].sort());
  const missing = await fetch(`http://127.0.0.1:${a.port}/nothing`);
  assert.is(missing.status, 404);
  await missing.text();
});

test('twenty simultaneous-dial races each end with exactly one connection per pair', async () => {
  for (let race = 0; race < 20; race++) {
    const a = await startNode({ name: `a${race}` });
    const b = await startNode({ name: `b${race}` });
    const connects = { a: 0, b: 0 };
    a.on('peer:connected', () => connects.a++);
    b.on('peer:connected', () => connects.b++);
    a.addPeer(b.urls[0]);
    b.addPeer(a.urls[0]);
    await waitFor(() => connectedIds(a).length === 1 && connectedIds(b).length === 1, `race ${race}: both connected`);
    await waitFor(() => a.connectionCount === 1 && b.connectionCount === 1, `race ${race}: the duplicate closed`);
    await sleep(50);
    assert.is(a.connectionCount, 1, `race ${race}: a has one connection`);
    assert.is(b.connectionCount, 1, `race ${race}: b has one connection`);
    assert.equal(connects, { a: 1, b: 1 }, `race ${race}: peer:connected once on each side`);
    const directions = [liveLink(a, b.id)!.direction, liveLink(b, a.id)!.direction].sort();
    assert.equal(directions, ['inbound', 'outbound'], `race ${race}: both ends of the same connection`);
    await stopAllNodes();
  }
});

test('a line a - b - c relays direct messages both ways and floods broadcasts once', async () => {
  const b = await startNode({ name: 'b' });
  // One peer each: else a and c would link directly once they learn each other's address through b.
  const a = await startNode({ name: 'a', peers: [b.urls[0]], maxPeers: 1 });
  const c = await startNode({ name: 'c', peers: [b.urls[0]], maxPeers: 1 });
  const atA = collect(a);
  const atB = collect(b);
  const atC = collect(c);
  await waitFor(() => a.peers().some((peer) => peer.id === c.id && peer.reachable), 'a knows a route to c');
  await waitFor(() => c.peers().some((peer) => peer.id === a.id && peer.reachable), 'c knows a route to a');
  assert.is(a.peers().find((peer) => peer.id === c.id)!.via, b.id);
  await a.send(c.id, 'a to c');
  await c.send(a.id, new Uint8Array([1, 2, 3]));
  assert.equal(atC.map(({ data, info }) => [data, info.from, info.to, info.hops]), [['a to c', a.id, c.id, 2]]);
  assert.equal(atA.map(({ data, info }) => [data, info.from, info.hops]), [['bin:010203', c.id, 2]]);
  assert.equal(atB, []);
  a.broadcast('hello all');
  await waitFor(() => atC.length === 2 && atB.length === 1, 'the broadcast reached b and c');
  await sleep(100);
  assert.equal(atB.map(({ data, info }) => [data, info.to, info.hops]), [['hello all', null, 1]]);
  assert.equal(atC[1].data, 'hello all');
  assert.is(atC[1].info.hops, 2);
  assert.is(atA.length, 1);
});

test('send() to an unknown peer rejects; to an unreachable one it times out', async () => {
  const a = await startNode({ name: 'a', sendTimeout: 300 });
  const error = await a.send('no-such-peer', 'x').catch((problem: unknown) => problem);
  assert.instance(error, MeshSendError);
  assert.is((error as MeshSendError).code, 'unknown-peer');
  assert.match((error as Error).message, 'unknown peer no-such-peer');
  const b = await startNode({ name: 'b' });
  a.addPeer(b.urls[0]);
  await waitFor(() => connectedIds(a).length === 1, 'a connected to b');
  await b.stop();
  await waitFor(() => connectedIds(a).length === 0, 'a noticed b left');
  const timeout = await a.send(b.id, 'x').catch((problem: MeshSendError) => problem.code);
  assert.is(timeout, 'timeout');
});

test('stop() closes every peer with 1001 and releases the port', async () => {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(a).length === 1, 'connected');
  const reason = new Promise((resolve) => b.once('peer:disconnected', (_peer, why) => resolve(why)));
  const port = a.port;
  await a.stop();
  assert.equal(await reason, { type: 'close', code: 1001, reason: 'node stopping', by: 'remote' });
  const again = await startNode({ name: 'again', port });
  assert.is(again.port, port);
});

test.run();
