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
          return true;
        },
        neighbourIds: () => [...this.nodes.keys()].filter((other) => this.links.has(edge(id, other))),
        isKnownPeer: (peer) => known.includes(peer),
        deliver: (data, info) => this.delivered.push({ at: id, data: String(data), info }),
      },
      options,
    );
    this.nodes.set(id, messenger);
    return messenger;
  }

  /** Carries queued frames until the wire is empty. */
  run(): void {
    while (this.wire.length > 0) {
      const { from, to, frame } = this.wire.shift()!;
      const decoded = decodeFrame(frame, typeof frame !== 'string')!;
      const receiver = this.nodes.get(to)!;
      if (decoded.message.t === 'msg') receiver.receiveApp(from, decoded.message as AppMessage, decoded.payload);
      else receiver.receiveAck(from, decoded.message as AckMessage);
    }
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

test('a broadcast floods a triangle and is delivered once per node', () => {
  const network = line();
  network.links.add('a-c');
  network.nodes.get('a')!.broadcast('all');
  network.run();
  assert.equal(network.delivered.map((entry) => entry.at).sort(), ['b', 'c']);
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
