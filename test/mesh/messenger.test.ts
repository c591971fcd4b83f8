import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame } from '../../src/mesh/envelope.ts';
import type { AckMessage, AppMessage } from '../../src/mesh/envelope.ts';
import { MeshSendError, Messenger } from '../../src/mesh/messenger.ts';
import type { MessageInfo, MessengerOptions } from '../../src/mesh/messenger.ts';

const options: MessengerOptions = { ttl: 8, sendTimeout: 500, outboxLimit: 3, retransmitAfter: 1000, maxPayload: 4096 };

/** Messengers wired together in memory: `links` is the set of undirected edges that are up. */
class Network {
  readonly nodes = new Map<string, Messenger>();
  readonly links = new Set<string>();
  readonly delivered: Array<{ at: string; data: string; info: MessageInfo }> = [];
  readonly wire: Array<{ from: string; to: string; frame: string | Buffer }> = [];
  /** Application messages (full payloads) handed to links so far. */
  payloads = 0;
  /** Frames are queued and delivered by `run()`, like a network would. */
  paused = false;

  add(id: string, known: string[]): Messenger {
    const messenger: Messenger = new Messenger(
      {
        selfId: id,
        nextHop: (to) => this.#route(id, to),
        transmit: (neighbour, frame) => {
          if (!this.links.has(edge(id, neighbour))) return false;
          this.wire.push({ from: id, to: neighbour, frame });
          if (decodeFrame(frame, typeof frame !== 'string')!.message.t === 'msg') this.payloads++;
          return true;
        },
        neighbourIds: () => [...this.nodes.keys()].filter((other) => this.links.has(edge(id, other))),
        isLeaf: () => false,
        isKnownPeer: (peer) => known.includes(peer),
        deliver: (data, info) => this.delivered.push({ at: id, data: String(data), info }),
        // Signatures are the router's business (verified before the messenger sees a message).
        sign: (message) => message,
      },
      { ...options, tree: { graftAfter: 20, ihaveDelay: 5 } },
    );
    this.nodes.set(id, messenger);
    return messenger;
  }

  /** Carries queued frames until the wire is empty (frames over links that went down are lost). */
  run(): void {
    while (this.wire.length > 0) {
      const { from, to, frame } = this.wire.shift()!;
      if (!this.links.has(edge(from, to))) continue;
      const { message, payload } = decodeFrame(frame, typeof frame !== 'string')!;
      const receiver = this.nodes.get(to)!;
      if (message.t === 'msg') receiver.receiveApp(from, message, payload);
      else if (message.t === 'ack') receiver.receiveAck(from, message);
      else if (message.t === 'ihave' || message.t === 'graft' || message.t === 'prune') receiver.receiveTree(from, message);
      else throw new Error(`unexpected ${message.t}`);
    }
  }

  /** Carries frames, timers included (ihave batches, grafts), until nothing moved for `quietMs`. */
  async settle(quietMs = 80): Promise<void> {
    let quietSince = Date.now();
    while (Date.now() - quietSince < quietMs) {
      if (this.wire.length > 0) quietSince = Date.now();
      this.run();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    for (const messenger of this.nodes.values()) messenger.stop();
  }

  #route(from: string, to: string): string | null {
    const seen = new Map<string, string>([[from, '']]);
    const queue = [from];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const next of this.nodes.keys()) {
        if (seen.has(next) || !this.links.has(edge(current, next))) continue;
        seen.set(next, current === from ? next : seen.get(current)!);
        if (next === to) return seen.get(next)!;
        queue.push(next);
      }
    }
    return null;
  }
}

function edge(a: string, b: string): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

function line(): Network {
  const network = new Network();
  network.add('a', ['b', 'c']);
  network.add('b', ['a', 'c']);
  network.add('c', ['a', 'b']);
  network.links.add('a-b');
  network.links.add('b-c');
  return network;
}

test('a direct message to a non-neighbour is relayed, delivered once and acknowledged', async () => {
  const network = line();
  const sent = network.nodes.get('a')!.send('c', 'to c');
  network.run();
  await sent;
  assert.equal(network.delivered.map(({ at, data, info }) => [at, data, info.from, info.to, info.hops]), [['c', 'to c', 'a', 'c', 2]]);
  const back = network.nodes.get('c')!.send('a', 'to a');
  network.run();
  await back;
  assert.equal(network.delivered.length, 2);
});

test('a retransmitted copy is acknowledged again but delivered once', async () => {
  const network = line();
  const a = network.nodes.get('a')!;
  const sent = a.send('c', 'once');
  const original = network.wire[0];
  network.wire.push({ ...original });
  network.run();
  await sent;
  assert.equal(network.delivered.filter((entry) => entry.at === 'c').length, 1);
});

test('without a route the message waits in the outbox and goes out when a route appears', async () => {
  const network = line();
  network.links.delete('b-c');
  const a = network.nodes.get('a')!;
  let resolved = false;
  const sent = a.send('c', 'later').then(() => (resolved = true));
  network.run();
  assert.is(a.outboxSize('c'), 1);
  assert.not.ok(resolved);
  network.links.add('b-c');
  a.flush(Date.now());
  network.run();
  await sent;
  assert.ok(resolved);
  assert.is(a.outboxSize('c'), 0);
});

test('a message lost with its link is sent again after linkLost()', async () => {
  const network = line();
  const a = network.nodes.get('a')!;
  const sent = a.send('b', 'x');
  network.wire.length = 0;
  a.linkLost('b');
  a.flush(Date.now());
  network.run();
  await sent;
  assert.equal(network.delivered.map((entry) => entry.data), ['x']);
});

test('unknown peer, self, too large and a full outbox reject at once; no ack rejects on timeout', async () => {
  const network = line();
  network.links.clear();
  const a = network.nodes.get('a')!;
  const codeOf = (promise: Promise<void>) => promise.then(() => 'resolved', (error: MeshSendError) => error.code);
  assert.is(await codeOf(a.send('nobody', 'x')), 'unknown-peer');
  assert.is(await codeOf(a.send('a', 'x')), 'self');
  assert.is(await codeOf(a.send('b', 'x'.repeat(5000))), 'too-large');
  const waiting = [a.send('b', '1'), a.send('b', '2'), a.send('b', '3')].map(codeOf);
  assert.is(await codeOf(a.send('b', '4')), 'outbox-full');
  assert.equal(await Promise.all(waiting), ['timeout', 'timeout', 'timeout']);
  assert.throws(() => a.broadcast('x'.repeat(5000)), (error: MeshSendError) => error.code === 'too-large');
});

test('a broadcast reaches every node of a triangle once (c by a graft: a pushes only to its first neighbour)', async () => {
  const network = line();
  network.links.add('a-c');
  network.nodes.get('a')!.broadcast('all');
  await network.settle();
  assert.equal(network.delivered.map((entry) => entry.at).sort(), ['b', 'c']);
  network.stop();
});

/** A full mesh of `count` messengers n0..n(count-1). */
function fullMesh(count: number): Network {
  const network = new Network();
  const ids = Array.from({ length: count }, (_, index) => `n${index}`);
  for (const id of ids) network.add(id, ids);
  for (const a of ids) for (const b of ids) if (a < b) network.links.add(edge(a, b));
  return network;
}

test('broadcast tree: after the first broadcasts prune a full mesh, each costs N-1 payloads and is delivered once', async () => {
  const network = fullMesh(12);
  const a = network.nodes.get('n0')!;
  a.broadcast('warm-up');
  await network.settle();
  const counts: number[] = [];
  for (let round = 0; round < 12; round++) {
    network.delivered.length = 0;
    network.payloads = 0;
    network.nodes.get(`n${round}`)!.broadcast(`from n${round}`);
    await network.settle();
    counts.push(network.payloads);
    assert.equal(network.delivered.map((entry) => entry.at).sort(), [...network.nodes.keys()].filter((id) => id !== `n${round}`).sort(), `round ${round}: each other node once`);
  }
  assert.equal(counts, Array(12).fill(11), 'N-1 payload transmissions per broadcast once the tree is built');
  network.stop();
});

test('broadcast tree: when tree links go down, ihave/graft repair it and every node still gets every broadcast once', async () => {
  const network = fullMesh(10);
  network.nodes.get('n0')!.broadcast('warm-up');
  await network.settle();
  // After a broadcast from n0 the tree is a star around n0: cut three of its links.
  assert.equal(network.nodes.get('n0')!.tree.eagerNeighbours().length, 9);
  for (const id of ['n1', 'n2', 'n3']) {
    network.links.delete(edge('n0', id));
    network.nodes.get('n0')!.linkLost(id);
    network.nodes.get(id)!.linkLost('n0');
  }
  for (let round = 1; round < 10; round++) {
    network.delivered.length = 0;
    network.nodes.get(`n${round}`)!.broadcast(`from n${round}`);
    await network.settle();
    const expected = [...network.nodes.keys()].filter((id) => id !== `n${round}`).sort();
    assert.equal(network.delivered.map((entry) => entry.at).sort(), expected, `round ${round}: every other node exactly once`);
  }
  network.stop();
});

test('a broadcast delivered unverified (straight from its origin, passed to nobody) is checked before a graft is answered', async () => {
  for (const valid of [false, true]) {
    const network = line();
    network.links.add('a-c');
    const b = network.nodes.get('b')!;
    // b pushes to its first neighbour (a, the origin here) and only announces to c.
    b.tree.eagerNeighbours();
    const message: AppMessage = { t: 'msg', id: 'unverified', from: 'a', to: null, ttl: 8, hops: 0, seq: 1, data: 'from a' };
    let checks = 0;
    b.receiveApp('a', message, undefined, () => (checks++, valid));
    assert.equal(network.delivered.map((entry) => entry.at), ['b'], 'delivered on the strength of the link');
    assert.is(checks, 0, 'not checked while it goes no further');
    network.wire.length = 0;
    b.tree.graft('c', ['unverified']);
    assert.is(checks, 1);
    assert.equal(network.wire.map((entry) => [entry.from, entry.to]), valid ? [['b', 'c']] : [], valid ? 'a valid one is passed on' : 'a forged one is not passed on');
    network.stop();
  }
});

test('stop() rejects what still waits for an ack', async () => {
  const network = line();
  network.links.clear();
  const a = network.nodes.get('a')!;
  const pending = a.send('b', 'x').catch((error: MeshSendError) => error.code);
  a.stop();
  assert.is(await pending, 'stopped');
});

test.run();
