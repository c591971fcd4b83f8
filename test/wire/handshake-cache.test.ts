import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BoundedMap, KEEP_FROM_USE, X25519Keys, nodeCrypto } from '../../src/mesh/node-crypto.ts';
import type { KeyObject } from 'node:crypto';
import { MeshCloseCode, MESH_PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { createIdentity } from '../../src/wire/identity.js';
import type { Identity } from '../../src/wire/identity.js';
import { SecureHandshake } from '../../src/wire/secure-link.js';
import type { CryptoProvider, KeyPair } from '../../src/wire/provider.js';

const PSK = new Uint8Array(32).fill(3);

/** node:crypto, counting signatures and verifications. */
function counting() {
  const calls = { sign: 0, verify: 0 };
  const provider: CryptoProvider = {
    ...nodeCrypto,
    ed25519Sign: (key, message) => (calls.sign++, nodeCrypto.ed25519Sign(key, message)),
    ed25519Verify: (key, message, signature) => (calls.verify++, nodeCrypto.ed25519Verify(key, message, signature)),
  };
  return { calls, provider };
}

interface End { identity: Identity; staticKeys: KeyPair }
const end = (): End => ({ identity: createIdentity(nodeCrypto), staticKeys: nodeCrypto.x25519Generate() as KeyPair });

async function handshake(provider: CryptoProvider, a: End, b: End, tamper?: (message: Uint8Array, index: number) => Uint8Array, prepare = false) {
  const make = (side: End, initiator: boolean) =>
    new SecureHandshake({ provider, initiator, psk: PSK, ...side, hello: { v: MESH_PROTOCOL_VERSION, name: initiator ? 'a' : 'b', mesh: 'm', kind: 'node', listen: [], boot: 'x' } });
  const ini = make(a, true);
  const res = make(b, false);
  let toRes = await ini.start();
  await res.start();
  if (prepare) {
    ini.prepare();
    res.prepare();
  }
  let index = 0;
  while (toRes.length > 0) {
    const toIni = (await Promise.all(toRes.map((m) => res.receive(tamper?.(m, index++) ?? m)))).flat();
    toRes = (await Promise.all(toIni.map((m) => ini.receive(tamper?.(m, index++) ?? m)))).flat();
  }
  return [ini.result!, res.result!] as const;
}

test('each side signs its proof once per static key, and a proof that verified once is not verified again', async () => {
  const { calls, provider } = counting();
  const [a, b] = [end(), end()];
  await handshake(provider, a, b);
  assert.equal(calls, { sign: 2, verify: 2 });
  await handshake(provider, a, b);
  await handshake(provider, b, a);
  assert.equal(calls, { sign: 2, verify: 2 });
  // A new static key is signed and verified anew; so is the same static key object under another identity.
  await handshake(provider, { ...a, staticKeys: nodeCrypto.x25519Generate() as KeyPair }, b);
  assert.equal(calls, { sign: 3, verify: 3 });
  await handshake(provider, { identity: createIdentity(nodeCrypto), staticKeys: a.staticKeys }, b);
  assert.equal(calls, { sign: 4, verify: 4 });
});

test('prepare() makes the proof before the peer answers: receive signs nothing', async () => {
  const { calls, provider } = counting();
  const [a, b] = [end(), end()];
  let signsInReceive = -1;
  await handshake(provider, a, b, (message, index) => {
    if (index === 0) signsInReceive = calls.sign;
    return message;
  }, true);
  assert.is(signsInReceive, 2, 'both proofs made by prepare() before message 1 was read');
  assert.is(calls.sign, 2);
});

test('a cached proof does not let altered proof bytes through: a wrong signature after a good one still fails (4001)', async () => {
  const { provider } = counting();
  const [a, b] = [end(), end()];
  await handshake(provider, a, b);
  // A responder under b's identity with a new static key, whose provider replays the first signature it made
  // (a valid signature by b, over another static key): verified, cached, and still refused for the new key.
  const forged: End = { identity: b.identity, staticKeys: nodeCrypto.x25519Generate() as KeyPair };
  const { calls: c2, provider: p2 } = counting();
  const original = p2.ed25519Sign;
  let first: Uint8Array | null = null;
  p2.ed25519Sign = (key, message) => (first ??= original(key, message));
  await handshake(p2, a, { identity: b.identity, staticKeys: nodeCrypto.x25519Generate() as KeyPair });
  try {
    await handshake(p2, a, forged);
    assert.unreachable('the forged proof was accepted');
  } catch (error) {
    assert.instance(error, WireError);
    assert.is((error as WireError).code, MeshCloseCode.AuthFailed);
    assert.match((error as WireError).message, /did not sign its Noise static key/);
  }
  assert.ok(c2.verify >= 1);
});

test('X25519 key objects: kept from the third use of a key on, the last four made reused, none kept for a key used twice', () => {
  assert.is(KEEP_FROM_USE, 3);
  let made = 0;
  const keys = new X25519Keys<string>((raw) => ({ made: ++made, first: raw[0] }) as unknown as KeyObject, (raw) => String(raw[0]), new BoundedMap(16));
  const key = (n: number) => new Uint8Array(32).fill(n);
  // An ephemeral key: two DHs one after the other, one import.
  const e1 = keys.get(key(1));
  assert.is(keys.get(key(1)), e1);
  assert.is(made, 1);
  // Four other keys push it out of the recent ones: its next use imports it again, and that (third) use keeps it.
  for (const n of [2, 3, 4, 5]) keys.get(key(n));
  assert.is(made, 5);
  const kept = keys.get(key(1));
  assert.is(made, 6);
  assert.is.not(kept, e1);
  for (const n of [6, 7, 8, 9, 10]) keys.get(key(n));
  assert.is(keys.get(key(1)), kept, 'kept: no import however many keys came between');
  assert.is(made, 11);
  // A key object made with its key pair is one of the recent ones.
  const pairKey = { pair: true } as unknown as KeyObject;
  keys.made(key(42), pairKey);
  assert.is(keys.get(key(42)), pairKey);
  assert.is(made, 11);
});

test('X25519 key objects: the recent ones are forgotten when the event-loop turn ends (no ephemeral key outlives its step)', async () => {
  let made = 0;
  const keys = new X25519Keys<string>(() => ({ made: ++made }) as unknown as KeyObject, (raw) => String(raw[0]), new BoundedMap(16));
  const key = new Uint8Array(32).fill(7);
  const first = keys.get(key);
  assert.is(keys.get(key), first);
  await new Promise((resolve) => setImmediate(resolve));
  // Its second use in a later turn imports it again (and, being its third use, keeps it).
  const again = keys.get(key);
  assert.is.not(again, first);
  assert.is(made, 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(keys.get(key), again);
  assert.is(made, 2);
});

test('X25519 DHs through the node:crypto provider agree after many keys (kept, recent and fresh key objects)', () => {
  const statics = [nodeCrypto.x25519Generate() as KeyPair, nodeCrypto.x25519Generate() as KeyPair];
  for (let round = 0; round < 12; round++) {
    const [a, b] = [nodeCrypto.x25519Generate() as KeyPair, nodeCrypto.x25519Generate() as KeyPair];
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    assert.is(hex(nodeCrypto.x25519(a.privateKey, b.publicKey) as Uint8Array), hex(nodeCrypto.x25519(b.privateKey, a.publicKey) as Uint8Array));
    assert.is(hex(nodeCrypto.x25519(statics[0]!.privateKey, b.publicKey) as Uint8Array), hex(nodeCrypto.x25519(b.privateKey, statics[0]!.publicKey) as Uint8Array));
    assert.is(hex(nodeCrypto.x25519(statics[0]!.privateKey, statics[1]!.publicKey) as Uint8Array), hex(nodeCrypto.x25519(statics[1]!.privateKey, statics[0]!.publicKey) as Uint8Array));
  }
});

test.run();
