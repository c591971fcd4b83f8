import * as crypto from 'node:crypto';
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes, scrypt, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CryptoProvider, KeyPair, ScryptParams } from '../wire/provider.js';

/**
 * DER prefix that wraps a raw 32-byte private key as PKCS#8, for X25519 and Ed25519. Public keys are imported as
 * JWK and keys exported as JWK: OpenSSL 3's DER decoders and encoders cost 10 to 20 times more (an SPKI import
 * about 120-250 µs, a JWK import about 7-15 µs on the bench machine), and a handshake imports a key per DH.
 */
const PKCS8_PREFIX = { x25519: '302e020100300506032b656e04220420', ed25519: '302e020100300506032b657004220420' } as const;
const JWK_CURVE = { x25519: 'X25519', ed25519: 'Ed25519' } as const;
type Curve = keyof typeof PKCS8_PREFIX;

/**
 * A private key object from its 32 raw bytes. As JWK (Node takes the public half from `d`, not from `x`), which
 * costs a tenth of the DER import; DER if a Node version ever refuses the JWK.
 */
function privateKeyObject(curve: Curve, raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new TypeError(`${curve} private key must be 32 bytes`);
  const d = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: JWK_CURVE[curve], d, x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8_PREFIX[curve], 'hex'), raw]), format: 'der', type: 'pkcs8' });
  }
}

function publicKeyObject(curve: Curve, raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new TypeError(`${curve} public key must be 32 bytes`);
  return createPublicKey({ key: { kty: 'OKP', crv: JWK_CURVE[curve], x: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url') }, format: 'jwk' });
}

function fromBase64Url(text: string | undefined): Uint8Array {
  const raw = Buffer.from(text ?? '', 'base64url');
  if (raw.length !== 32) throw new Error('unexpected key export');
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The key objects behind the Ed25519 private keys this provider handed out: a signature with them needs no import. */
const privateObjects = new WeakMap<Uint8Array, KeyObject>();

/**
 * A key pair; a new one from 32 bytes of the CSPRNG, which is what OpenSSL's key generation does for both curves
 * (X25519 clamps the scalar when it is used, Ed25519 hashes the seed). Not `generateKeyPairSync`: on Node 20,
 * exporting a generated key deadlocks the process now and then (the export holds the key's lock while it
 * allocates; a garbage collection then runs the finished KeyGenJob's destructor, which waits for the same
 * lock), and a node generates a key per handshake. test/wire/keygen-deadlock.test.ts shows the hang.
 */
function keyPair(curve: Curve, privateKey: Uint8Array | undefined): KeyPair {
  const raw = privateKey === undefined ? bytes(randomBytes(32)) : new Uint8Array(privateKey);
  const key = privateKeyObject(curve, raw);
  const { x } = key.export({ format: 'jwk' });
  const pair = { publicKey: fromBase64Url(x), privateKey: raw };
  // An X25519 key's object is kept only if the key keeps being used (see X25519Keys); this one may serve its
  // first DH, which often follows at once.
  if (curve === 'x25519') x25519Private.made(pair.privateKey, key);
  else privateObjects.set(pair.privateKey, key);
  return pair;
}

interface KeyUses {
  uses: number;
  /** The key object, kept from the key's KEEP_FROM_USE-th use on. */
  kept: KeyObject | null;
}

/** An X25519 key gets a kept key object from this use on (see X25519Keys). */
export const KEEP_FROM_USE = 3;
/**
 * Key objects made last, reused by the DHs that follow in the same turn of the event loop (the DHs of a handshake
 * step come one after the other); forgotten at the end of the turn, so that no ephemeral private key outlives its
 * handshake here.
 */
const RECENT_KEYS = 4;

/**
 * Key objects for X25519 keys, kept only for keys that keep being used. A key object is a native object that the
 * garbage collector finalises one by one (1.1-1.3 us each in a mark-compact); one that lives across a network
 * round trip outlives a few scavenges and is promoted. Kept for their handshake, the ephemeral keys of the links
 * that formed meanwhile died in the next mark-compact all at once: 36-57 ms of pauses of 47-84 ms at N = 60 in one
 * process, against 0-0.4 ms when they die young (docs/scale.md). So a key's object is kept from its third DH on (a
 * node's static key from its third handshake, a peer's static key when it links again); an ephemeral key takes part
 * in two DHs and is imported for each unless its object is among the last few made in the same turn.
 */
export class X25519Keys<Id extends object | string> {
  readonly #recent: Array<{ id: Id; key: KeyObject }> = [];
  constructor(
    readonly make: (raw: Uint8Array) => KeyObject,
    readonly idOf: (raw: Uint8Array) => Id,
    /** Uses per key: by identity for private keys (no copy of the secret is made), by value for public keys. */
    readonly uses: { get(id: Id): KeyUses | undefined; set(id: Id, uses: KeyUses): unknown },
  ) {}

  get(raw: Uint8Array): KeyObject {
    const id = this.idOf(raw);
    let entry = this.uses.get(id);
    if (entry === undefined) this.uses.set(id, (entry = { uses: 0, kept: null }));
    if (entry.kept !== null) return entry.kept;
    const key = this.#recent.find((recent) => recent.id === id)?.key ?? this.made(raw, this.make(raw));
    if (++entry.uses >= KEEP_FROM_USE) entry.kept = key;
    return key;
  }

  /** A key object just made for `raw` (e.g. with its key pair): one of the recent ones until the turn ends. */
  made(raw: Uint8Array, key: KeyObject): KeyObject {
    if (this.#recent.length >= RECENT_KEYS) this.#recent.shift();
    else if (this.#recent.length === 0) setImmediate(this.#forgetRecent).unref();
    this.#recent.push({ id: this.idOf(raw), key });
    return key;
  }

  readonly #forgetRecent = (): void => {
    this.#recent.length = 0;
  };
}

/** A Map that forgets its oldest entries beyond `max`. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

const x25519Private = new X25519Keys<Uint8Array>((raw) => privateKeyObject('x25519', raw), (raw) => raw, new WeakMap());
// Public keys by value: a peer's static key arrives in a new array on every handshake.
const x25519Public = new X25519Keys<string>((raw) => publicKeyObject('x25519', raw), latin1, new BoundedMap(1024));

/**
 * Key objects of recently used raw keys: a node signs with one identity key and verifies the same few peer
 * keys again and again; importing a key costs more than the signature itself.
 */
class KeyCache {
  readonly #keys: BoundedMap<string, KeyObject>;
  constructor(readonly make: (raw: Uint8Array) => KeyObject, max = 1024) {
    this.#keys = new BoundedMap(max);
  }
  get(raw: Uint8Array): KeyObject {
    const id = latin1(raw);
    let key = this.#keys.get(id);
    if (key === undefined) this.#keys.set(id, (key = this.make(raw)));
    return key;
  }
}

/**
 * Signatures checked and found valid lately, each with its key and message (compared byte for byte on a hit, so a
 * hit answers exactly what `verify` would). Many nodes in one process (tests, simulations, a host running several)
 * each check the same signed records and broadcasts; the first check is done, the others are a lookup.
 */
export class VerifiedSignatures {
  readonly #entries = new Map<string, { key: Buffer; message: Buffer }>();
  #bytes = 0;
  constructor(
    readonly maxEntries = 4096,
    readonly maxBytes = 8 * 1024 * 1024,
    /** Messages longer than this are not kept. */
    readonly maxMessage = 16 * 1024,
  ) {}

  has(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const entry = this.#entries.get(latin1(signature));
    return entry !== undefined && entry.key.equals(publicKey) && entry.message.equals(message);
  }

  add(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): void {
    if (message.length > this.maxMessage) return;
    const id = latin1(signature);
    if (this.#entries.has(id)) return;
    this.#entries.set(id, { key: Buffer.from(publicKey), message: Buffer.from(message) });
    this.#bytes += message.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.message.length;
    }
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const verified = new VerifiedSignatures();

const edPrivate = new KeyCache((raw) => privateObjects.get(raw) ?? privateKeyObject('ed25519', raw), 64);
const edPublic = new KeyCache((raw) => publicKeyObject('ed25519', raw));

/**
 * SHA-256 in one call: `crypto.hash` (Node 20.12 and later) hashes without creating a Hash object, at half the
 * cost for the short inputs of a handshake (0.75 against 1.5 us for 96 bytes); a Hash object is a native object
 * that the garbage collector has to finalise (docs/scale.md, "Memory of a formed mesh, and native objects in a
 * major GC"). Older Node 20 releases use `createHash`.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;
const sha256: (data: Uint8Array) => Buffer =
  oneShotHash === undefined ? (data) => createHash('sha256').update(data).digest() : (data) => oneShotHash('sha256', data, 'buffer');

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The wire module's crypto provider on `node:crypto` (every operation synchronous except scrypt). */
export const nodeCrypto: CryptoProvider = {
  randomBytes: (length) => bytes(randomBytes(length)),
  x25519Generate: (privateKey) => keyPair('x25519', privateKey),
  x25519: (privateKey, publicKey) =>
    bytes(diffieHellman({ privateKey: x25519Private.get(privateKey), publicKey: x25519Public.get(publicKey) })),
  // No AAD call for empty associated data (every transport message): ChaCha20-Poly1305 treats both the same.
  aeadEncrypt(key, nonce, ad, plaintext) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: plaintext.length });
    const out = Buffer.allocUnsafe(plaintext.length + 16);
    const written = cipher.update(plaintext).copy(out, 0);
    cipher.final();
    cipher.getAuthTag().copy(out, written);
    return bytes(out);
  },
  aeadDecrypt(key, nonce, ad, ciphertext) {
    if (ciphertext.length < 16) return null;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: ciphertext.length - 16 });
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const plaintext = decipher.update(ciphertext.subarray(0, ciphertext.length - 16));
    try {
      decipher.final();
    } catch {
      return null;
    }
    return bytes(plaintext);
  },
  sha256: (data) => bytes(sha256(data)),
  hmacSha256: (key, data) => bytes(createHmac('sha256', key).update(data).digest()),
  ed25519Generate: (privateKey) => keyPair('ed25519', privateKey),
  ed25519Sign: (privateKey, message) => bytes(sign(null, message, edPrivate.get(privateKey))),
  ed25519Verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    if (verified.has(publicKey, message, signature)) return true;
    try {
      if (!verify(null, message, edPublic.get(publicKey), signature)) return false;
    } catch {
      return false;
    }
    verified.add(publicKey, message, signature);
    return true;
  },
  scrypt: (password: Uint8Array, salt: Uint8Array, { N, r, p, dkLen }: ScryptParams) =>
    new Promise<Uint8Array>((resolve, reject) => {
      scrypt(password, salt, dkLen, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(bytes(key))));
    }),
};
