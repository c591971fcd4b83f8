import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { toHex, utf8 } from '../../src/wire/bytes.js';
import { FRAGMENT_BATCH, MAX_FRAGMENT_PLAINTEXT, MeshCloseCode, MESH_PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { decodeHello, encodeHello } from '../../src/wire/hello.js';
import type { Hello } from '../../src/wire/hello.js';
import { createIdentity, derivePsk } from '../../src/wire/identity.js';
import { CipherState } from '../../src/wire/noise.js';
import { SecureHandshake, SecureTransport } from '../../src/wire/secure-link.js';
import type { CryptoProvider } from '../../src/wire/provider.js';
import { nobleCrypto } from './noble-provider.ts';

const KEY = new Uint8Array(32).fill(9);

/** A transport that encrypts under KEY, and a CipherState that reads what it wrote (the peer's view, raw). */
function pair(peerOpensBatches: boolean, maxMessage?: number) {
  const sender = new SecureTransport(new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY), maxMessage);
  sender.peerOpensBatches = peerOpensBatches;
  const raw = new CipherState(nodeCrypto, KEY);
  const receiver = new SecureTransport(new CipherState(nodeCrypto, KEY), new CipherState(nodeCrypto, KEY), maxMessage);
  return { sender, raw, receiver };
}

const isBad = (pattern: RegExp) => (error: Error) => error instanceof WireError && error.code === MeshCloseCode.BadMessage && pattern.test(error.message);

test('sealAll: consecutive messages in one batch, exact plaintext (0x04, then flags, 2-byte length, bytes per message)', () => {
  const { sender, raw } = pair(true);
  const out = sender.sealAll([
    { data: utf8('one'), binary: false },
    { data: Uint8Array.of(0xab, 0xcd), binary: true },
    { data: new Uint8Array(0), binary: false },
  ]);
  assert.is(out.length, 1);
  assert.is(out[0].length, 1 + 3 + 3 + 3 + 2 + 3 + 16);
  assert.is(toHex(raw.decrypt(out[0])), '04' + '000003' + toHex(utf8('one')) + '020002abcd' + '000000');
});

test('sealAll: a message alone, or a peer without batch in its hello, gets the one-message framing of seal', () => {
  const alone = pair(true);
  const [single] = alone.sender.sealAll([{ data: utf8('one'), binary: false }]);
  assert.is(toHex(alone.raw.decrypt(single)), '00' + toHex(utf8('one')));
  const old = pair(false);
  const out = old.sender.sealAll([{ data: utf8('one'), binary: false }, { data: Uint8Array.of(7), binary: true }]);
  assert.is(out.length, 2);
  assert.is(toHex(old.raw.decrypt(out[0])), '00' + toHex(utf8('one')));
  assert.is(toHex(old.raw.decrypt(out[1])), '0207');
});

test('sealAll/openAll: batches end where the next message does not fit; a large message is fragmented in between, order kept', () => {
  const { sender, receiver } = pair(true);
  const sizes = [40_000, 30_000, 500, MAX_FRAGMENT_PLAINTEXT * 2 + 5, 10, 20, MAX_FRAGMENT_PLAINTEXT - 3 - 1];
  const messages = sizes.map((size, index) => ({ data: new Uint8Array(size).fill(index), binary: index % 2 === 0 }));
  const out = sender.sealAll(messages);
  // [40000] alone (30000 does not fit after it); [30000, 500] a batch; 3 fragments; [10, 20] a batch; the last fills a batch alone.
  assert.is(out.length, 1 + 1 + 3 + 1 + 1);
  const opened = out.flatMap((message) => receiver.openAll(message));
  assert.equal(opened.map((m) => [m.data.length, m.binary, m.data[0] ?? -1]), sizes.map((size, index) => [size, index % 2 === 0, index]));
});

test('open refuses a batch (a caller that expects one message); openAll returns all of it', () => {
  const { sender, receiver } = pair(true);
  const [batch] = sender.sealAll([{ data: utf8('a'), binary: false }, { data: utf8('b'), binary: false }]);
  assert.throws(() => receiver.open(batch), isBad(/a batch of messages where one was expected/));
  const again = pair(true);
  const [second] = again.sender.sealAll([{ data: utf8('a'), binary: false }, { data: utf8('b'), binary: false }]);
  assert.equal(again.receiver.openAll(second).map((m) => Buffer.from(m.data).toString()), ['a', 'b']);
});

test('openAll: malformed batches close the link with BadMessage', () => {
  const cases: Array<[string, Uint8Array, RegExp, number?]> = [
    ['empty batch', Uint8Array.of(FRAGMENT_BATCH), /empty batch/],
    ['truncated header', Uint8Array.of(FRAGMENT_BATCH, 0, 0), /truncated batch record/],
    ['length past the end', Uint8Array.of(FRAGMENT_BATCH, 0, 0, 2, 0x61), /truncated batch record/],
    ['unknown record flags', Uint8Array.of(FRAGMENT_BATCH, 0x01, 0, 1, 0x61), /unknown batch record flags 1/],
    ['batch flag with another flag', Uint8Array.of(FRAGMENT_BATCH | 0x02, 0, 0, 1, 0x61), /unknown fragment flags 6/],
    ['record over maxMessage', Uint8Array.of(FRAGMENT_BATCH, 0, 0, 3, 0x61, 0x62, 0x63), /exceeds 2 bytes/, 2],
  ];
  for (const [what, plaintext, pattern, maxMessage] of cases) {
    const { receiver } = pair(true, maxMessage);
    const message = new CipherState(nodeCrypto, KEY).encrypt(plaintext);
    assert.throws(() => receiver.openAll(message), isBad(pattern), what);
  }
  // A batch between the fragments of one message.
  const { receiver } = pair(true);
  const peer = new CipherState(nodeCrypto, KEY);
  assert.equal(receiver.openAll(peer.encrypt(Uint8Array.of(0x03, 0x61))), []);
  const batch = peer.encrypt(Uint8Array.of(FRAGMENT_BATCH, 0, 0, 1, 0x61, 0, 0, 1, 0x62));
  assert.throws(() => receiver.openAll(batch), isBad(/a batch inside a fragmented message/));
});

test('hello: batch travels only when true; a hello without it decodes without it', () => {
  const base: Hello = { v: MESH_PROTOCOL_VERSION, name: 'n', mesh: 'm', kind: 'node', listen: [], boot: 'b' };
  assert.is(Buffer.from(encodeHello(base)).toString(), '{"v":2,"name":"n","mesh":"m","kind":"node","listen":[],"boot":"b"}');
  assert.is(Buffer.from(encodeHello({ ...base, batch: true })).toString(), '{"v":2,"name":"n","mesh":"m","kind":"node","listen":[],"boot":"b","batch":true}');
  assert.equal(decodeHello(encodeHello({ ...base, batch: true })), { ...base, batch: true });
  assert.equal(decodeHello(utf8('{"v":2,"name":"n","mesh":"m","kind":"node","listen":[],"boot":"b","batch":1}')), base);
});

for (const [aName, aProvider, bName, bProvider] of [
  ['node:crypto', nodeCrypto, '@noble', nobleCrypto],
  ['@noble', nobleCrypto, 'node:crypto', nodeCrypto],
] as const) {
  test(`link handshake ${aName} -> ${bName}: each transport batches only to a peer whose hello said batch`, async () => {
    const psk = await derivePsk(nodeCrypto, 'test', 'correct horse battery staple');
    const side = (provider: CryptoProvider, initiator: boolean, batch: boolean) =>
      new SecureHandshake({ provider, initiator, identity: createIdentity(provider), psk, hello: { v: MESH_PROTOCOL_VERSION, name: initiator ? 'a' : 'b', mesh: 'test', kind: 'node', listen: [], boot: 'x', ...(batch ? { batch } : {}) } });
    for (const [aBatch, bBatch] of [[true, true], [true, false], [false, true]]) {
      const a = side(aProvider, true, aBatch);
      const b = side(bProvider, false, bBatch);
      let toB = await a.start();
      await b.start();
      while (toB.length > 0) {
        const toA = (await Promise.all(toB.map((m) => b.receive(m)))).flat();
        toB = (await Promise.all(toA.map((m) => a.receive(m)))).flat();
      }
      assert.is(a.result!.transport.peerOpensBatches, bBatch);
      assert.is(b.result!.transport.peerOpensBatches, aBatch);
      const out = a.result!.transport.sealAll([{ data: utf8('x'), binary: false }, { data: utf8('y'), binary: false }]);
      assert.is(out.length, bBatch ? 1 : 2);
      assert.equal(out.flatMap((m) => b.result!.transport.openAll(m)).map((m) => Buffer.from(m.data).toString()), ['x', 'y']);
    }
  });
}

test.run();
