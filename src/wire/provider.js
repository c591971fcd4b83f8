// @ts-check
/**
 * The crypto provider: the only place the wire module gets primitives from. Node passes one built on
 * `node:crypto` (src/mesh/node-crypto.ts); a page passes one built on WebCrypto and/or the audited `@noble/*`
 * packages. The wire module itself implements protocols (Noise, HKDF as the Noise spec defines it over
 * HMAC, signatures over canonical bytes), never a primitive.
 *
 * Sync/async contract:
 * - `x25519Generate`, `x25519` and `scrypt` MAY return a Promise (WebCrypto is async): they are only
 *   used during a link handshake or at start, which are async anyway.
 * - Everything else MUST be synchronous (AEAD, hashes, Ed25519): it runs per message on the hot path. The AEAD
 *   must not keep a reference to its `nonce` argument after it returns (the caller reuses the bytes).
 *
 * Keys are raw bytes: X25519 and Ed25519 public keys 32 bytes, private keys (seeds) 32 bytes.
 *
 * @typedef {object} KeyPair
 * @property {Uint8Array} publicKey 32 bytes
 * @property {Uint8Array} privateKey 32 bytes (X25519 scalar / Ed25519 seed)
 *
 * @typedef {object} CryptoProvider
 * @property {(length: number) => Uint8Array} randomBytes
 *   Cryptographically secure random bytes.
 * @property {(privateKey?: Uint8Array) => KeyPair | Promise<KeyPair>} x25519Generate
 *   A fresh X25519 key pair; with `privateKey`, the pair of that private key (test vectors).
 * @property {(privateKey: Uint8Array, publicKey: Uint8Array) => Uint8Array | Promise<Uint8Array>} x25519
 *   X25519(privateKey, publicKey): the 32-byte shared secret.
 * @property {(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array) => Uint8Array} aeadEncrypt
 *   ChaCha20-Poly1305 (RFC 8439), 32-byte key, 12-byte nonce: ciphertext with the 16-byte tag appended.
 * @property {(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array) => Uint8Array | null} aeadDecrypt
 *   ChaCha20-Poly1305 open; null when the tag does not verify (never throws for a bad tag).
 * @property {(data: Uint8Array) => Uint8Array} sha256
 * @property {(key: Uint8Array, data: Uint8Array) => Uint8Array} hmacSha256
 * @property {(privateKey?: Uint8Array) => KeyPair} ed25519Generate
 *   A fresh Ed25519 key pair; with `privateKey` (the 32-byte seed), the pair of that seed.
 * @property {(privateKey: Uint8Array, message: Uint8Array) => Uint8Array} ed25519Sign
 *   A 64-byte Ed25519 signature (RFC 8032, pure Ed25519).
 * @property {(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean} ed25519Verify
 *   False for a bad signature or a malformed key (never throws).
 * @property {(password: Uint8Array, salt: Uint8Array, params: ScryptParams) => Uint8Array | Promise<Uint8Array>} scrypt
 *   scrypt (RFC 7914).
 *
 * @typedef {object} ScryptParams
 * @property {number} N
 * @property {number} r
 * @property {number} p
 * @property {number} dkLen
 */

export {};
