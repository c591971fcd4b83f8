// Issue 10's attacks 1, 2, 3, 4 and 8, done as an attacker on the LAN would: raw connect() clients (raw-peer.ts)
// against real nodes on 127.0.0.1. Each test failed on the wsmesh.v1 code (see the commit that added them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { fromHex, utf8 } from '../../src/wire/bytes.js';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { connectedIds, startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from './raw-peer.ts';
import type { Json } from './raw-peer.ts';

const SECRET = 'a long enough mesh secret';

interface Delivered {
  data: string;
  from: string;
}

function record(node: MeshNode) {
  const connected: string[] = [];
  const disconnected: string[] = [];
  const delivered: Delivered[] = [];
  node.on('peer:connected', (peer) => connected.push(peer.id));
  node.on('peer:disconnected', (peer) => disconnected.push(peer.id));
  node.on('message', (data, info) => delivered.push({ data: data.toString(), from: info.from }));
  return { connected, disconnected, delivered };
}

async function linkedPair(options = {}): Promise<[MeshNode, MeshNode]> {
  const a = await startNode(options);
  const b = await startNode({ ...options, peers: [a.urls[0]] });
  await waitFor(() => connectedIds(a).includes(b.id) && connectedIds(b).includes(a.id), 'a and b linked');
  return [a, b];
}

/** Passes every WebSocket message of one raw connection to the other and back, recording the bytes. */
function relay(x: RawPeer, y: RawPeer, seen: Buffer[]): void {
  const pump = async (from: RawPeer, to: RawPeer) => {
    for (;;) {
      const next = await from.next(30_000);
      if (next === null) return;
      seen.push(Buffer.from(next.data));
      to.ws.send(next.binary ? Buffer.from(next.data) : Buffer.from(next.data).toString());
    }
  };
  void pump(x, y);
  void pump(y, x);
}

test.after.each(stopAllNodes);

test('1. joining without the secret by relaying each node\'s proof to the other: refused, nothing readable', async () => {
  const a = await startNode({ secret: SECRET, name: 'node-a' });
  const b = await startNode({ secret: SECRET, name: 'node-b' });
  const eventsA = record(a);
  const eventsB = record(b);
  const toA = await RawPeer.open(a.urls[0]);
  const toB = await RawPeer.open(b.urls[0]);
  const seen: Buffer[] = [];
  if (toA.version === 1) {
    // Tell A "I am B" with B's nonce and B "I am A" with A's nonce, then pass the proofs across.
    const helloA = await toA.readV1Hello();
    const helloB = await toB.readV1Hello();
    toA.sendJsonV1({ ...toA.v1Hello(helloB.nonce, { id: b.id, name: 'node-b', auth: true }) });
    toB.sendJsonV1({ ...toB.v1Hello(helloA.nonce, { id: a.id, name: 'node-a', auth: true }) });
  }
  relay(toA, toB, seen);
  // And plainly: a v2 handshake without the secret.
  if (toA.version === 2) {
    const outsider = await RawPeer.open(a.urls[0]);
    const refusal = await outsider.handshake().then(() => 'joined', (error: Error) => error.message);
    assert.match(refusal, /refused/);
    assert.is(outsider.close?.code, 4001);
    assert.match(outsider.close!.reason, /wrong mesh secret/);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (eventsA.connected.length > 0) a.broadcast('the secret plans');
  await waitFor(() => toA.close !== null || toB.close !== null || eventsB.delivered.length > 0, 'the nodes refuse the relayed connections (or the broadcast crossed)');
  assert.equal(eventsA.connected, [], 'A must not accept the relayed connection');
  assert.equal(eventsB.connected, [], 'B must not accept the relayed connection');
  assert.not.ok(Buffer.concat(seen).includes('the secret plans'));
  toA.end();
  toB.end();
});

test('2. taking a node\'s id: a connection that cannot prove the key is refused; 50 acked sends all reach the real node', async () => {
  const [a, b] = await linkedPair();
  const eventsB = record(b);
  const attacker = await RawPeer.open(b.urls[0], { name: 'node-a', id: a.id, boot: 'another-boot' });
  let refusal: string | null = null;
  if (attacker.version === 2) {
    // The only way to claim a's id is to present a's public key, and sign with a key that is not its own.
    const fake = { ...createIdentity(nodeCrypto), id: a.id, publicKey: fromHex(a.publicKey) };
    const impostor = await RawPeer.open(b.urls[0], { identity: fake });
    refusal = await impostor.handshake().then(() => 'joined', (error: Error) => error.message);
    assert.is(impostor.close?.code, 4001);
    assert.match(impostor.close!.reason, /identity key did not sign/);
  }
  await attacker.handshake().catch(() => {});
  // The attacker acks whatever reaches it, as the real a would.
  const acked = new Set<string>();
  const acking = setInterval(() => {
    for (const message of attacker.messages('msg')) {
      if (acked.has(message.id)) continue;
      acked.add(message.id);
      attacker.sendJson({ t: 'ack', id: message.id, from: b.id, to: a.id, ttl: 8 });
    }
  }, 5);
  const sends = Array.from({ length: 50 }, (_, i) => a.send(b.id, `m${i}`));
  const results = await Promise.allSettled(sends);
  clearInterval(acking);
  assert.is(results.filter((result) => result.status === 'fulfilled').length, 50);
  await waitFor(() => eventsB.delivered.length >= 50, 'b received the 50 messages', 5000).catch(() => {});
  assert.is(eventsB.delivered.filter((m) => m.from === a.id).length, 50);
  assert.equal(attacker.messages('msg').filter((m) => m.from === a.id), []);
  assert.ok(connectedIds(b).includes(a.id));
  assert.not.ok(attacker.established && attacker.id === a.id, 'a connection claiming a\'s id must be refused');
  assert.equal(eventsB.disconnected, [], 'the live link of a must never be replaced');
  if (refusal !== null) assert.match(refusal, /refused/);
  attacker.end();
});

test('3. forging `from` in msg and ack: a member cannot speak for another node; a forged ack never confirms a send', async () => {
  const [a, b] = await linkedPair({ sendTimeout: 1500 });
  const eventsA = record(a);
  const member = await RawPeer.join(a.urls[0], { name: 'mallory' });
  await waitFor(() => connectedIds(a).includes(member.id), 'the member linked');
  // A member may say whom it links to (its own record): it claims a neighbour "ghost".
  const ghost = createIdentity(nodeCrypto).id;
  member.sendJson(member.sign({ t: 'links', origin: member.id, boot: 'mallory-boot', seq: Date.now(), name: 'mallory', kind: 'node', links: [{ id: ghost, name: 'ghost', kind: 'node' }] }));
  await waitFor(() => a.peers().some((peer) => peer.id === ghost && peer.reachable), 'a routes to ghost via the member');
  const sending = a.send(ghost, 'for the ghost only');
  await waitFor(() => member.messages('msg').length > 0, 'the message reached the member');
  const sent = member.messages('msg')[0];
  // The forged ack: unsigned, or signed by the member's own key.
  member.sendJson({ t: 'ack', id: sent.id, from: ghost, to: a.id, ttl: 8, seq: Date.now() * 1000 });
  const outcome = await sending.then(() => 'confirmed', (error: Error) => error.message);
  assert.match(outcome, /no acknowledgement|closed|stopped/, `a forged ack confirmed the send (${outcome})`);
  // A second member connection: a msg with from = b, signed by the member itself.
  const again = await RawPeer.join(a.urls[0], { name: 'mallory2' });
  again.sendJson(again.sign({ t: 'msg', id: 'f0rged', from: b.id, to: a.id, ttl: 8, hops: 0, data: 'I am b, honestly' }));
  const closed = await again.waitClosed(5000).catch(() => null);
  assert.ok(closed !== null, 'a must drop the link of a neighbour that sends a message it cannot verify');
  assert.is(closed!.code, 4000);
  assert.equal(eventsA.delivered.filter((m) => m.data === 'I am b, honestly'), []);
  member.end();
});

test('4. a links record with origin = victim and seq = 2^53-1: dropped; the victim keeps its links and its sequence', async () => {
  const [a, victim] = await linkedPair();
  const eventsA = record(a);
  const eventsVictim = record(victim);
  const member = await RawPeer.join(a.urls[0], { name: 'mallory' });
  await waitFor(() => connectedIds(a).includes(member.id), 'the member linked');
  const forged: Json = { t: 'links', origin: victim.id, boot: 'forged-boot', seq: Number.MAX_SAFE_INTEGER, name: 'victim', kind: 'node', links: [] };
  member.sendJson(member.sign(forged));
  const closed = await member.waitClosed(5000).catch(() => null);
  // Straight to the victim too: a node never adopts its own sequence number from a peer.
  const direct = await RawPeer.join(victim.urls[0], { name: 'mallory3' });
  direct.sendJson(direct.sign({ ...forged }));
  await direct.waitClosed(5000).catch(() => null);
  await victim.send(a.id, 'still linked');
  assert.ok(closed !== null, 'the forged record must close the sender\'s link');
  assert.equal(eventsA.disconnected.filter((id) => id === victim.id), []);
  assert.equal(eventsVictim.disconnected.filter((id) => id === a.id), []);
  assert.ok(connectedIds(a).includes(victim.id) && connectedIds(victim).includes(a.id));
  direct.end();
});

test('8. flushing the dedup cache with junk and replaying a broadcast: it is still delivered once', async () => {
  const [a, b] = await linkedPair();
  const eventsB = record(b);
  const reasons: unknown[] = [];
  b.on('peer:disconnected', (_peer, reason) => reasons.push(reason));
  b.on('warning', (w) => reasons.push(w));
  const member = await RawPeer.join(b.urls[0], { name: 'mallory' });
  await waitFor(() => connectedIds(b).includes(member.id), 'the member linked');
  a.broadcast('only once');
  // A new link may start lazy in the broadcast tree (ids only): the member asks for the payload as a node would.
  await waitFor(() => member.messages('ihave').length > 0 || member.received.some((entry) => entry.message?.data === 'only once'), 'the member heard of the broadcast');
  for (const ihave of member.messages('ihave')) member.sendJson({ t: 'graft', ids: ihave.ids });
  await waitFor(() => member.received.some((entry) => entry.message?.data === 'only once'), 'the member saw the broadcast');
  const original = member.received.find((entry) => entry.message?.data === 'only once')!;
  const JUNK = 10_050;
  for (let i = 0; i < JUNK; i++) {
    // Let the attacker's own process answer pings (the nodes ping every 200 ms in tests).
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    member.sendJson(member.sign({ t: 'msg', id: `junk${i}`, from: member.id, to: null, ttl: 1, hops: 0, data: `junk ${i}` }));
  }
  await waitFor(() => eventsB.delivered.filter((m) => m.from === member.id).length >= JUNK || member.close !== null, 'b delivered the junk', 60_000);
  assert.is(member.close, null, `the junk is valid: it must be delivered ${JSON.stringify(reasons)}`);
  member.sendRaw(original.data, original.binary);
  member.sendJson(member.sign({ t: 'msg', id: 'marker', from: member.id, to: null, ttl: 1, hops: 0, data: 'marker' }));
  await waitFor(() => eventsB.delivered.some((m) => m.data === 'marker') || member.close !== null, 'the marker after the replay');
  assert.is(eventsB.delivered.filter((m) => m.data === 'only once').length, 1);
  member.end();
});

test.run();
