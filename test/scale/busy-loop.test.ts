// A link is not closed because this process's event loop was busy (issue 14): a timer that fires late runs before
// the pending socket reads, so the pong (or the welcome) that arrived during the stall would not have been seen yet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import { liveLink } from '../../src/mesh/node.ts';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { computeAcceptKey } from '../../src/handshake/accept-key.ts';
import { connect } from '../../src/transport/connect.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from '../security/raw-peer.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import { LANE_HANDSHAKE, turnBudget } from '../../src/transport/turn-budget.ts';

test.after.each(stopAllNodes);

/** Blocks the event loop (a long synchronous job). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('the event loop stalls 3 times for 4x pingTimeout right after a ping: the pongs count, the link stays', async () => {
  const options = { pingInterval: 150, pingTimeout: 100 };
  const a = await startNode({ name: 'a', ...options });
  const b = await startNode({ name: 'b', peers: [a.urls[0]], ...options });
  await waitFor(() => connectedIds(a).length === 1 && connectedIds(b).length === 1, 'a and b linked');
  const disconnects: DisconnectReason[] = [];
  a.on('peer:disconnected', (_peer, reason) => disconnects.push(reason));
  b.on('peer:disconnected', (_peer, reason) => disconnects.push(reason));
  const socket = liveLink(a, b.id)!.socket;
  const ping = socket.ping;
  let stalls = 0;
  socket.ping = function (this: typeof socket, ...args: Parameters<typeof ping>) {
    ping.apply(this, args);
    if (stalls < 3) {
      stalls++;
      // Once the ping's timer is set (right after this call returns).
      queueMicrotask(() => busy(400));
    }
  };
  let rtts = 0;
  a.on('peer:rtt', () => {
    if (stalls === 3) rtts++;
  });
  await waitFor(() => rtts >= 2 || disconnects.length > 0, 'two pongs after the third stall, or a disconnect');
  assert.equal(disconnects, []);
  assert.is(liveLink(a, b.id)?.isEstablished, true);
});

test('a pong cancels the timeout of its ping: answered pings leave no timer (nor a task behind the turn budget) waiting', async () => {
  // A long timeout: on the old code each answered ping left its timer for 60 s, then queued a task behind the backlog.
  const options = { pingInterval: 20, pingTimeout: 60_000 };
  const a = await startNode({ name: 'a', ...options });
  const b = await startNode({ name: 'b', peers: [a.urls[0]], ...options });
  await waitFor(() => connectedIds(a).length === 1 && connectedIds(b).length === 1, 'a and b linked');
  let rtts = 0;
  a.on('peer:rtt', () => rtts++);
  b.on('peer:rtt', () => rtts++);
  await waitFor(() => rtts >= 4, 'a few pongs');
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
  const before = timers();
  const from = rtts;
  await waitFor(() => rtts >= from + 60, '60 more pongs (30 per end)');
  const after = timers();
  assert.ok(after - before < 6, `active timers went from ${before} to ${after} over 60 answered pings`);
  assert.is(liveLink(a, b.id)?.isEstablished, true);
});

test('a dial whose 101 arrived while the loop was stalled for 4x handshakeTimeout still opens (the dial is not failed unread)', async () => {
  const timeout = 100;
  const server = createServer((socket) => {
    socket.once('data', (request) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(request.toString('latin1'))![1]!;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`);
      // The answer is on its way; this process is busy before it reads it.
      busy(timeout * 4);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const ws = await connect(`ws://127.0.0.1:${port}/`, { handshakeTimeout: timeout });
    assert.is(ws.readyState, 1);
    ws.terminate();
  } finally {
    server.close();
  }
});

test('a peer that floods a node is read in turns (paused while its inbox is full): every message arrives, in order, and the link stays', async () => {
  const node = await startNode({ name: 'victim', pingInterval: 200, pingTimeout: 100 });
  const member = await RawPeer.join(node.urls[0], { name: 'flooder' });
  await waitFor(() => connectedIds(node).includes(member.id), 'the member linked');
  const socket = liveLink(node, member.id)!.socket;
  let pauses = 0;
  let resumes = 0;
  const { pause, resume } = socket;
  socket.pause = function (this: typeof socket) {
    pauses++;
    pause.call(this);
  };
  socket.resume = function (this: typeof socket) {
    resumes++;
    resume.call(this);
  };
  const delivered: string[] = [];
  const disconnects: DisconnectReason[] = [];
  node.on('message', (data) => delivered.push(String(data)));
  node.on('peer:disconnected', (_peer, reason) => disconnects.push(reason));
  const COUNT = 4000;
  for (let i = 0; i < COUNT; i++) {
    // Let the flooder's side answer pings now and then (it is in this process too).
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    member.sendJson(member.sign({ t: 'msg', id: `flood${i}`, from: member.id, to: null, ttl: 1, hops: 0, data: `m${i}` }));
  }
  await waitFor(() => delivered.length >= COUNT || disconnects.length > 0 || member.close !== null, 'the flood delivered', 60_000);
  assert.equal(disconnects, [], 'no ping timeout: the pongs were behind the flood');
  assert.is(delivered.length, COUNT);
  assert.ok(delivered.every((data, i) => data === `m${i}`), 'in order');
  assert.ok(pauses > 0 && resumes >= pauses, `reading paused ${pauses} times, resumed ${resumes} times`);
  assert.is(socket.isPaused, false);
  member.end();
});

test('an inbound upgrade waits behind the handshake work queued in the turn budget, then the peer joins', async () => {
  const node = await startNode({ name: 'busy' });
  const handleUpgrade = WebSocketServer.prototype.handleUpgrade;
  const doneAtUpgrade: number[] = [];
  let done = 0;
  WebSocketServer.prototype.handleUpgrade = function (this: WebSocketServer, ...args: Parameters<typeof handleUpgrade>) {
    doneAtUpgrade.push(done);
    return handleUpgrade.apply(this, args);
  };
  try {
    // 80 handshake steps of 5 ms each: about 400 ms of queued work, a slice per turn.
    const TASKS = 80;
    turnBudget.run(LANE_HANDSHAKE, () => busy(15));
    for (let i = 0; i < TASKS; i++) {
      turnBudget.run(LANE_HANDSHAKE, () => {
        busy(5);
        done++;
      });
    }
    assert.ok(turnBudget.backlog >= TASKS, `queued: ${turnBudget.backlog}`);
    const member = await RawPeer.join(node.urls[0], { name: 'late' });
    await waitFor(() => connectedIds(node).includes(member.id), 'the peer joined');
    assert.equal(doneAtUpgrade, [TASKS], 'the upgrade ran once, after the work queued before it');
    member.end();
  } finally {
    WebSocketServer.prototype.handleUpgrade = handleUpgrade;
  }
});

test.run();
