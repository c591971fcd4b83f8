/**
 * A crypto provider for the wire module built only from the audited pure-JS @noble packages (what a page
 * without WebCrypto's algorithms uses): proves the vectors and the Node side against a second implementation.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { CryptoProvider } from '../../src/wire/provider.js';

export const nobleCrypto: CryptoProvider = {
  randomBytes: (length) => randomBytes(length),
  x25519Generate(privateKey) {
    const secret = privateKey ?? randomBytes(32);
    return { privateKey: secret, publicKey: x25519.getPublicKey(secret) };
  },
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
  ed25519Generate(privateKey) {
    const secret = privateKey ?? randomBytes(32);
    return { privateKey: secret, publicKey: ed25519.getPublicKey(secret) };
  },
  ed25519Sign: (privateKey, message) => ed25519.sign(message, privateKey),
  ed25519Verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  scrypt: (password, salt, params) => scrypt(password, salt, params),
};
