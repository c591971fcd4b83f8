// Limits inside the node against a peer that is connected but hostile: relayed TTLs, the topology store,
// close reasons built from peer-supplied text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeReason } from '../../src/mesh/close-codes.ts';
import { decodeFrame } from '../../src/mesh/envelope.ts';
import type { LinksMessage } from '../../src/mesh/envelope.ts';
import { Messenger } from '../../src/mesh/messenger.ts';
import { Topology } from '../../src/mesh/topology.ts';

function links(origin: string, seq: number, count: number): LinksMessage {
  const entries = Array.from({ length: count }, (_, i) => ({ id: `${origin}-n${i}`, name: 'n', kind: 'node' as const }));
  return { t: 'links', origin, boot: 'b0', seq, name: origin, kind: 'node', links: entries };
}

test('a relayed message never carries more TTL than the relaying node allows', () => {
  const sent: Array<{ to: string; ttl: number }> = [];
  const messenger = new Messenger(
    {
      selfId: 'me',
      nextHop: (to) => (to === 'far' ? 'right' : null),
      transmit: (to, frame) => {
        const { message } = decodeFrame(frame, typeof frame !== 'string')!;
        sent.push({ to, ttl: message.t === 'msg' ? message.ttl : -1 });
        return true;
      },
      // 'right' first: the broadcast tree pushes to a node's first neighbour (later ones start lazy).
      neighbourIds: () => ['right', 'left'],
      isLeaf: () => false,
      isKnownPeer: () => true,
      deliver: () => {},
      sign: (message) => message,
    },
    { ttl: 8, sendTimeout: 1000, outboxLimit: 10, retransmitAfter: 1000, maxPayload: 4096 },
  );
  messenger.receiveApp('left', { t: 'msg', id: 'b1', from: 'x', to: null, ttl: Number.MAX_SAFE_INTEGER, hops: 0, seq: 1, data: 'flood' }, undefined);
  messenger.receiveApp('left', { t: 'msg', id: 'd1', from: 'x', to: 'far', ttl: 1_000_000, hops: 0, seq: 2, data: 'direct' }, undefined);
  messenger.receiveApp('left', { t: 'msg', id: 'd2', from: 'x', to: 'far', ttl: 3, hops: 0, seq: 3, data: 'direct' }, undefined);
  messenger.receiveApp('left', { t: 'msg', id: 'd3', from: 'x', to: 'far', ttl: 1, hops: 0, seq: 4, data: 'expired' }, undefined);
  assert.equal(sent, [{ to: 'right', ttl: 7 }, { to: 'right', ttl: 7 }, { to: 'right', ttl: 2 }]);
  messenger.stop();
});

test('the topology keeps at most maxRecords nodes and maxEntries links; unreachable records make room first', () => {
  const reachable = new Set(['a', 'b']);
  const topology = new Topology('me', (id) => reachable.has(id), 3, 100);
  assert.is(topology.accept(links('a', 1, 40)), 'fresh');
  assert.is(topology.accept(links('b', 1, 40)), 'fresh');
  assert.is(topology.accept(links('ghost', 1, 10)), 'fresh');
  assert.is(topology.accept(links('ghost', 1, 10)), 'stale', 'not newer');
  assert.is(topology.accept(links('c', 1, 10)), 'fresh', 'the unreachable ghost made room');
  assert.equal(topology.records().map((record) => record.origin), ['a', 'b', 'c']);
  reachable.add('c');
  assert.is(topology.accept(links('d', 1, 1)), 'stale', 'full of reachable nodes: refused');
  assert.is(topology.accept(links('a', 2, 60)), 'stale', 'the newer record of a would pass 100 entries');
  assert.is(topology.accept(links('a', 3, 50)), 'fresh');
  assert.equal(topology.records().map((record) => [record.origin, record.seq, record.links.length]), [['a', 3, 50], ['b', 1, 40], ['c', 1, 10]]);
});

test('close reasons from peer-supplied text are cut to 123 bytes at a character boundary', () => {
  assert.is(closeReason('short'), 'short');
  assert.is(closeReason('a'.repeat(200)), 'a'.repeat(123));
  const accented = closeReason(`mesh "${'é'.repeat(100)}"`);
  assert.ok(Buffer.byteLength(accented) <= 123);
  assert.is(accented, `mesh "${'é'.repeat(58)}`);
  assert.ok(!closeReason('😀'.repeat(40)).includes('\ufffd'));
});

test.run();
