// The page's crypto providers (src/browser/crypto-noble.js, crypto-webcrypto.js) in Node: the published
// vectors of each primitive (RFC 7748, RFC 8032, RFC 8439, RFC 4231) and the same bytes as node:crypto.
import { createCipheriv, createHmac, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nobleCrypto } from '../../src/browser/crypto-noble.js';
import { webCrypto } from '../../src/browser/crypto-webcrypto.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const RFC7748 = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

for (const [name, provider] of [['noble', nobleCrypto], ['webcrypto', webCrypto]] as const) {
  test(`${name}: X25519 gives the RFC 7748 section 6.1 keys and shared secret`, async () => {
    const alice = await provider.x25519Generate(hex(RFC7748.alicePrivate));
    assert.is(toHex(alice.publicKey), RFC7748.alicePublic);
    assert.is(toHex(await provider.x25519(hex(RFC7748.alicePrivate), hex(RFC7748.bobPublic))), RFC7748.shared);
    assert.is(toHex(await provider.x25519(hex(RFC7748.bobPrivate), hex(RFC7748.alicePublic))), RFC7748.shared);
    const fresh = await provider.x25519Generate();
    assert.equal([fresh.publicKey.length, fresh.privateKey.length], [32, 32]);
    assert.is(toHex((await provider.x25519Generate(fresh.privateKey)).publicKey), toHex(fresh.publicKey));
  });
}

test('noble: Ed25519 signs RFC 8032 test 1 and 2 exactly; verify refuses a changed message, key or signature', () => {
  const cases = [
    ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
    ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ];
  for (const [seed, publicKey, message, signature] of cases) {
    assert.is(toHex(nobleCrypto.ed25519Generate(hex(seed)).publicKey), publicKey);
    assert.is(toHex(nobleCrypto.ed25519Sign(hex(seed), hex(message))), signature);
    assert.ok(nobleCrypto.ed25519Verify(hex(publicKey), hex(message), hex(signature)));
    assert.not.ok(nobleCrypto.ed25519Verify(hex(publicKey), hex('00' + message), hex(signature)));
    assert.not.ok(nobleCrypto.ed25519Verify(hex(publicKey), hex(message), hex(signature).map((byte, i) => (i === 5 ? byte ^ 1 : byte))));
  }
  assert.not.ok(nobleCrypto.ed25519Verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)), 'a short key is false, not a throw');
  assert.not.ok(nobleCrypto.ed25519Verify(new Uint8Array(32).fill(0xff), new Uint8Array(0), new Uint8Array(64)), 'a key off the curve is false');
});

test('noble: Ed25519 signatures equal node:crypto ones (deterministic signatures, same keys)', () => {
  for (let i = 0; i < 5; i++) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32));
    const message = Uint8Array.from({ length: 100 + i * 37 }, (_, k) => (k * 13 + i) & 0xff);
    assert.is(toHex(nobleCrypto.ed25519Sign(seed, message)), sign(null, message, privateKey).toString('hex'));
  }
});

test('noble: ChaCha20-Poly1305 gives the RFC 8439 section 2.8.2 ciphertext and tag; a changed byte does not open', () => {
  const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = hex('070000004041424344454647');
  const ad = hex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const sealed = nobleCrypto.aeadEncrypt(key, nonce, ad, plaintext);
  assert.is(toHex(sealed.subarray(0, 16)), 'd31a8d34648e60db7b86afbc53ef7ec2');
  assert.is(toHex(sealed.subarray(-16)), '1ae10b594f09e26a7e902ecbd0600691');
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  assert.is(toHex(sealed), Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]).toString('hex'));
  assert.equal(nobleCrypto.aeadDecrypt(key, nonce, ad, sealed), plaintext);
  const altered = sealed.slice();
  altered[3] ^= 0x80;
  assert.is(nobleCrypto.aeadDecrypt(key, nonce, ad, altered), null);
  assert.is(nobleCrypto.aeadDecrypt(key, nonce, hex('00'), sealed), null);
  assert.is(nobleCrypto.aeadDecrypt(key, nonce, ad, new Uint8Array(5)), null, 'shorter than a tag: null, not a throw');
});

test('noble: SHA-256, HMAC-SHA256 (RFC 4231 case 2) and scrypt (RFC 7914) equal node:crypto', async () => {
  const data = new TextEncoder().encode('what do ya want for nothing?');
  assert.is(toHex(nobleCrypto.sha256(data)), createHash('sha256').update(data).digest('hex'));
  assert.is(toHex(nobleCrypto.hmacSha256(new TextEncoder().encode('Jefe'), data)), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  assert.is(toHex(nobleCrypto.hmacSha256(new Uint8Array(100).fill(7), data)), createHmac('sha256', new Uint8Array(100).fill(7)).update(data).digest('hex'));
  const derived = await nobleCrypto.scrypt(new TextEncoder().encode('password'), new TextEncoder().encode('NaCl'), { N: 1024, r: 8, p: 16, dkLen: 64 });
  assert.is(toHex(derived), 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640');
});

test.run();
