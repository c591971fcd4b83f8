import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { fromUtf8, toHex, utf8 } from '../../src/wire/bytes.js';
import { FRAGMENT_MORE, MAX_FRAGMENT_PLAINTEXT, MeshCloseCode, MESH_PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import type { Hello } from '../../src/wire/hello.js';
import { checkSecret, createIdentity, derivePsk, idFromPublicKey } from '../../src/wire/identity.js';
import { SecureHandshake, WRONG_SECRET_REASON } from '../../src/wire/secure-link.js';
import type { SecureLinkResult } from '../../src/wire/secure-link.js';
import type { CryptoProvider } from '../../src/wire/provider.js';
import { nobleCrypto } from './noble-provider.ts';

const SECRET = 'correct horse battery staple';

function hello(name: string, overrides: Partial<Hello> = {}): Hello {
  return { v: MESH_PROTOCOL_VERSION, name, mesh: 'test', kind: 'node', listen: ['ws://127.0.0.1:1/'], boot: `${name}-boot`, ...overrides };
}

async function party(provider: CryptoProvider, initiator: boolean, name: string, psk: Uint8Array, overrides: Partial<Hello> = {}) {
  const identity = createIdentity(provider);
  return { identity, handshake: new SecureHandshake({ provider, initiator, identity, psk, hello: hello(name, overrides) }) };
}

/** Runs both sides to the end, passing messages; returns both results, or the first WireError and who threw it. */
async function run(a: SecureHandshake, b: SecureHandshake): Promise<{ a: SecureLinkResult | null; b: SecureLinkResult | null; error?: WireError; by?: 'a' | 'b'; messages: Uint8Array[] }> {
  const messages: Uint8Array[] = [];
  let queue: Array<{ to: 'a' | 'b'; data: Uint8Array }> = [...(await a.start()).map((data) => ({ to: 'b' as const, data })), ...(await b.start()).map((data) => ({ to: 'a' as const, data }))];
  while (queue.length > 0) {
    const { to, data } = queue.shift()!;
    messages.push(data);
    try {
      const out = await (to === 'a' ? a : b).receive(data);
      queue = queue.concat(out.map((next) => ({ to: to === 'a' ? ('b' as const) : ('a' as const), data: next })));
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      return { a: a.result, b: b.result, error, by: to, messages };
    }
  }
  return { a: a.result, b: b.result, messages };
}

for (const [initName, initProvider, respName, respProvider] of [
  ['node:crypto', nodeCrypto, '@noble', nobleCrypto],
  ['@noble', nobleCrypto, 'node:crypto', nodeCrypto],
] as const) {
  test(`link handshake: ${initName} initiator with ${respName} responder, same secret: identities, hellos, transport both ways`, async () => {
    const psk = await derivePsk(nodeCrypto, 'test', SECRET);
    const initiator = await party(initProvider, true, 'alice', psk);
    const responder = await party(respProvider, false, 'bob', psk);
    const { a, b, error, messages } = await run(initiator.handshake, responder.handshake);
    assert.is(error, undefined);
    assert.is(messages.length, 4);
    assert.is(a!.remote.id, responder.identity.id);
    assert.is(b!.remote.id, initiator.identity.id);
    assert.equal(a!.remote.hello, hello('bob'));
    assert.equal(b!.remote.hello, hello('alice'));
    assert.is(toHex(a!.handshakeHash), toHex(b!.handshakeHash));
    // Names never travel in clear.
    for (const message of messages) assert.not.ok(Buffer.from(message).includes('alice') || Buffer.from(message).includes('bob'));
    const big = new Uint8Array(3 * MAX_FRAGMENT_PLAINTEXT + 5).map((_, i) => i & 255);
    const fragments = a!.transport.seal(big, true);
    assert.is(fragments.length, 4);
    for (const fragment of fragments) assert.ok(fragment.length <= 65535);
    assert.is(b!.transport.open(fragments[0]), null);
    assert.is(b!.transport.open(fragments[1]), null);
    assert.is(b!.transport.open(fragments[2]), null);
    const whole = b!.transport.open(fragments[3])!;
    assert.ok(whole.binary);
    assert.equal(whole.data, big);
    const [reply] = b!.transport.seal(utf8('{"t":"welcome"}'), false);
    const opened = a!.transport.open(reply)!;
    assert.is(fromUtf8(opened.data), '{"t":"welcome"}');
    assert.not.ok(opened.binary);
  });
}

test('link handshake: a wrong secret fails message 3 on the responder with 4001 naming the secret; the initiator never gets a hello', async () => {
  const responderPsk = await derivePsk(nodeCrypto, 'test', SECRET);
  const initiator = await party(nodeCrypto, true, 'alice', await derivePsk(nodeCrypto, 'test', 'another long secret'));
  const responder = await party(nodeCrypto, false, 'bob', responderPsk);
  const { a, b, error, by } = await run(initiator.handshake, responder.handshake);
  assert.is(by, 'b');
  assert.is(error!.code, MeshCloseCode.AuthFailed);
  assert.is(error!.message, WRONG_SECRET_REASON);
  assert.is(a, null);
  assert.is(b, null);
  // Also an open-mesh node against a node with a secret.
  const open = await party(nodeCrypto, true, 'carol', await derivePsk(nodeCrypto, 'test', undefined));
  const closed = await party(nodeCrypto, false, 'dave', responderPsk);
  assert.is((await run(open.handshake, closed.handshake)).error!.code, MeshCloseCode.AuthFailed);
});

test('link handshake: connecting to itself fails with 4004 as soon as message 2 names the same key', async () => {
  const psk = await derivePsk(nodeCrypto, 'test', undefined);
  const identity = createIdentity(nodeCrypto);
  const a = new SecureHandshake({ provider: nodeCrypto, initiator: true, identity, psk, hello: hello('self') });
  const b = new SecureHandshake({ provider: nodeCrypto, initiator: false, identity, psk, hello: hello('self') });
  const { error, by } = await run(a, b);
  assert.is(by, 'a');
  assert.is(error!.code, MeshCloseCode.SelfConnection);
});

test('link handshake: another mesh name is another PSK; a changed handshake byte is refused', async () => {
  const a = await party(nodeCrypto, true, 'alice', await derivePsk(nodeCrypto, 'one', undefined));
  const b = await party(nodeCrypto, false, 'bob', await derivePsk(nodeCrypto, 'two', undefined));
  assert.is((await run(a.handshake, b.handshake)).error!.code, MeshCloseCode.AuthFailed);
  const psk = await derivePsk(nodeCrypto, 'test', undefined);
  const c = await party(nodeCrypto, true, 'carol', psk);
  const d = await party(nodeCrypto, false, 'dave', psk);
  const [first] = await c.handshake.start();
  await d.handshake.start();
  const [second] = await d.handshake.receive(first);
  second[second.length - 1] ^= 1;
  try {
    await c.handshake.receive(second);
    assert.unreachable('a changed message 2 must be refused');
  } catch (error) {
    assert.instance(error, WireError);
    assert.is((error as WireError).code, MeshCloseCode.AuthFailed);
  }
});

test('transport: a replayed, reordered or oversized fragment is refused', async () => {
  const psk = await derivePsk(nodeCrypto, 'test', undefined);
  const { a, b } = await run((await party(nodeCrypto, true, 'a', psk)).handshake, (await party(nodeCrypto, false, 'b', psk)).handshake);
  const [one] = a!.transport.seal(utf8('one'), false);
  const [two] = a!.transport.seal(utf8('two'), false);
  assert.throws(() => b!.transport.open(two), (error: WireError) => error.code === MeshCloseCode.BadMessage);
  const { a: c, b: d } = await run((await party(nodeCrypto, true, 'c', psk)).handshake, (await party(nodeCrypto, false, 'd', psk)).handshake);
  const [first] = c!.transport.seal(utf8('x'), false);
  d!.transport.open(first);
  assert.throws(() => d!.transport.open(first), /transport message rejected/);
  d!.transport.maxMessage = 100;
  const fragments = c!.transport.seal(new Uint8Array(MAX_FRAGMENT_PLAINTEXT + 10), true);
  assert.throws(() => d!.transport.open(fragments[0]), /exceeds 100 bytes/);
  assert.ok(one.length > 0 && FRAGMENT_MORE === 1);
});

test('identity: id = first 128 bits of SHA-256(public key), hex; secrets shorter than 12 characters refused', () => {
  const identity = createIdentity(nodeCrypto);
  assert.match(identity.id, /^[0-9a-f]{32}$/);
  assert.is(identity.id, toHex(nodeCrypto.sha256(identity.publicKey)).slice(0, 32));
  assert.is(idFromPublicKey(nobleCrypto, identity.publicKey), identity.id);
  assert.is(createIdentity(nobleCrypto, identity.privateKey).id, identity.id);
  assert.throws(() => checkSecret('short'), /at least 12 characters/);
  assert.throws(() => checkSecret('x'.repeat(11)), /at least 12 characters/);
  checkSecret('x'.repeat(12));
});

test.run();
