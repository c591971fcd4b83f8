// @ts-check
// The wire module's crypto provider on the audited pure-JS @noble packages: every primitive the mesh
// needs, synchronous except scrypt. It runs anywhere (a page on plain http, which has no WebCrypto, and
// Node). The node serves these packages itself under /vendor/ (no CDN; works offline).
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** @import { CryptoProvider, KeyPair } from '../wire/provider.js' */

/** @param {number} length */
export function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * @param {{ keygen(seed?: Uint8Array): { secretKey: Uint8Array, publicKey: Uint8Array } }} curve
 * @param {Uint8Array} [privateKey]
 * @returns {KeyPair}
 */
function keyPair(curve, privateKey) {
  const { secretKey, publicKey } = curve.keygen(privateKey === undefined ? randomBytes(32) : privateKey.slice());
  return { publicKey, privateKey: secretKey };
}

/** @type {CryptoProvider} */
export const nobleCrypto = {
  randomBytes,
  x25519Generate: (privateKey) => keyPair(x25519, privateKey),
  x25519: (privateKey, publicKey) => x25519.getSharedSecret(privateKey, publicKey),
  aeadEncrypt: (key, nonce, ad, plaintext) => chacha20poly1305(key, nonce, ad).encrypt(plaintext),
  aeadDecrypt(key, nonce, ad, ciphertext) {
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ciphertext);
    } catch {
      return null;
    }
  },
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  ed25519Generate: (privateKey) => keyPair(ed25519, privateKey),
  ed25519Sign: (privateKey, message) => ed25519.sign(message, privateKey),
  ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  scrypt: (password, salt, { N, r, p, dkLen }) => scryptAsync(password, salt, { N, r, p, dkLen }),
};
