import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { fromHex, toHex } from '../../src/wire/bytes.js';
import { HandshakeState, NoiseError } from '../../src/wire/noise.js';
import type { CryptoProvider } from '../../src/wire/provider.js';
import { nobleCrypto } from './noble-provider.ts';
import { webCrypto } from '../../src/browser/crypto-webcrypto.js';

/** Published vectors (cacophony's vectors/cacophony.txt) for the two patterns the wire module implements. */
interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static: string;
  init_ephemeral: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: Array<{ payload: string; ciphertext: string }>;
}

const vectors = (JSON.parse(readFileSync(new URL('./noise-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;

async function side(provider: CryptoProvider, vector: Vector, initiator: boolean): Promise<HandshakeState> {
  const prefix = initiator ? 'init' : 'resp';
  const pattern = vector.protocol_name.startsWith('Noise_XXpsk3_') ? 'XXpsk3' : 'XX';
  const psks = initiator ? vector.init_psks : vector.resp_psks;
  return new HandshakeState({
    provider,
    pattern,
    initiator,
    prologue: fromHex(initiator ? vector.init_prologue : vector.resp_prologue),
    staticKeys: await provider.x25519Generate(fromHex(vector[`${prefix}_static`])),
    ephemeralKeys: await provider.x25519Generate(fromHex(vector[`${prefix}_ephemeral`])),
    ...(psks === undefined ? {} : { psk: fromHex(psks[0]) }),
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

for (const [providerName, provider] of [['node:crypto', nodeCrypto], ['@noble', nobleCrypto], ['page WebCrypto', webCrypto]] as const) {
  for (const vector of vectors) {
    test(`${vector.protocol_name} (${providerName}): every handshake and transport message, the handshake hash`, async () => {
      const initiator = await side(provider, vector, true);
      const responder = await side(provider, vector, false);
      assert.is(vector.messages.length, 6);
      for (let index = 0; index < 3; index++) {
        const { payload, ciphertext } = vector.messages[index];
        const [writer, reader] = index % 2 === 0 ? [initiator, responder] : [responder, initiator];
        const written = await writer.writeMessage(fromHex(payload));
        assert.is(toHex(written), ciphertext, `handshake message ${index + 1}`);
        assert.is(toHex(await reader.readMessage(written)), payload);
      }
      assert.ok(initiator.isComplete && responder.isComplete);
      assert.is(toHex(initiator.result!.handshakeHash), vector.handshake_hash);
      assert.is(toHex(responder.result!.handshakeHash), vector.handshake_hash);
      // After the handshake the roles keep alternating: responder, initiator, responder.
      for (let index = 3; index < 6; index++) {
        const { payload, ciphertext } = vector.messages[index];
        const [writer, reader] = index % 2 === 0 ? [initiator, responder] : [responder, initiator];
        const written = writer.result!.send.encrypt(fromHex(payload));
        assert.is(toHex(written), ciphertext, `transport message ${index + 1}`);
        assert.is(toHex(reader.result!.receive.decrypt(written)), payload);
      }
    });
  }

  test(`XXpsk3 (${providerName}): a different psk fails the third message on the responder, a flipped bit fails decryption`, async () => {
    const vector = vectors.find((v) => v.protocol_name.startsWith('Noise_XXpsk3_'))!;
    const initiator = await side(provider, { ...vector, init_psks: ['00'.repeat(32)] }, true);
    const responder = await side(provider, vector, false);
    await responder.readMessage(await initiator.writeMessage());
    await initiator.readMessage(await responder.writeMessage());
    const third = await initiator.writeMessage(new Uint8Array([1, 2, 3]));
    assert.match(String(await failure(responder.readMessage(third))), /NoiseError: decryption failed/);

    const a = await side(provider, vector, true);
    const b = await side(provider, vector, false);
    const first = await a.writeMessage();
    await b.readMessage(first);
    const second = await b.writeMessage(new Uint8Array(4));
    second[40] ^= 1;
    assert.instance(await failure(a.readMessage(second)), NoiseError);
  });
}

test('SHA-256 of every provider: FIPS 180-2 vectors, a view at an offset, a long input', async () => {
  const abc = new TextEncoder().encode('abc');
  // A view into a larger buffer: only its own bytes are hashed.
  const inside = new Uint8Array(16);
  inside.set(abc, 5);
  const long = new Uint8Array(1_000_000).fill(0x61);
  for (const provider of [nodeCrypto, nobleCrypto, webCrypto]) {
    assert.is(toHex(await provider.sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.is(toHex(await provider.sha256(abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.is(toHex(await provider.sha256(inside.subarray(5, 8))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // One million times "a".
    assert.is(toHex(await provider.sha256(long)), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  }
});

test('the two providers agree on Ed25519 and scrypt', async () => {
  const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  // RFC 8032 section 7.1, test 1.
  assert.is(toHex(nodeCrypto.ed25519Generate(seed).publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  assert.is(toHex(nobleCrypto.ed25519Generate(seed).publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const signature = nodeCrypto.ed25519Sign(seed, new Uint8Array(0));
  assert.is(toHex(signature), toHex(nobleCrypto.ed25519Sign(seed, new Uint8Array(0))));
  assert.ok(nobleCrypto.ed25519Verify(nodeCrypto.ed25519Generate(seed).publicKey, new Uint8Array(0), signature));
  signature[0] ^= 1;
  assert.not.ok(nodeCrypto.ed25519Verify(nodeCrypto.ed25519Generate(seed).publicKey, new Uint8Array(0), signature));
  const params = { N: 1024, r: 8, p: 1, dkLen: 32 };
  const password = new TextEncoder().encode('password');
  const salt = new TextEncoder().encode('NaCl');
  assert.is(toHex(await nodeCrypto.scrypt(password, salt, params)), toHex(await nobleCrypto.scrypt(password, salt, params)));
  // RFC 7914 section 12, second vector (first 32 bytes).
  assert.is(toHex(await nodeCrypto.scrypt(password, salt, { ...params, N: 1024, r: 8, p: 16, dkLen: 64 })).slice(0, 64), 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162');
});

test.run();
