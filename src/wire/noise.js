// @ts-check
/**
 * The Noise Protocol Framework (revision 34), the parts wsmesh uses: the XX pattern, alone and with the
 * psk3 modifier, over 25519, ChaChaPoly and SHA256. Sans I/O: messages in, messages out.
 *
 * Only the DH functions may be async (see provider.js); hashing and the AEAD are synchronous, so the
 * transport `CipherState`s are synchronous.
 */
import { concat, utf8 } from './bytes.js';
/** @import { CryptoProvider, KeyPair } from './provider.js' */


/** Largest Noise message, bytes (spec section 3). */
export const NOISE_MAX_MESSAGE = 65535;
/** The AEAD tag every encrypted payload carries. */
export const NOISE_TAG_LENGTH = 16;
const DH_LENGTH = 32;
const HASH_LENGTH = 32;
const EMPTY = new Uint8Array(0);
/** 2^64 - 1: the nonce value reserved by the spec; reaching it ends the CipherState. */
const MAX_NONCE = 0xffffffffffffffffn;

/** A Noise failure: a message that does not decrypt or parse, or a misuse of the state machine. */
export class NoiseError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'NoiseError';
  }
}

/** One direction of encryption: a key and a counter nonce (spec section 5.1). */
export class CipherState {
  /** @type {Uint8Array | null} */
  #key = null;
  #n = 0n;
  /**
   * The 96-bit ChaChaPoly nonce of the spec: 32 zero bits, then the 64-bit counter little-endian; rewritten per
   * message (the provider's AEAD is synchronous and keeps no reference to it).
   */
  #nonce = new Uint8Array(12);
  #nonceView = new DataView(this.#nonce.buffer);

  /** @param {CryptoProvider} provider @param {Uint8Array | null} [key] */
  constructor(provider, key = null) {
    this.provider = provider;
    this.#key = key;
  }

  /** @param {Uint8Array} key */
  initializeKey(key) {
    this.#key = key;
    this.#n = 0n;
  }

  hasKey() {
    return this.#key !== null;
  }

  /** Messages encrypted or decrypted so far (the next nonce). */
  get nonce() {
    return this.#n;
  }

  /** @param {bigint} n */
  #nonceAt(n) {
    this.#nonceView.setBigUint64(4, n, true);
    return this.#nonce;
  }

  /** @param {Uint8Array} ad @param {Uint8Array} plaintext @returns {Uint8Array} */
  encryptWithAd(ad, plaintext) {
    if (this.#key === null) return plaintext;
    if (this.#n >= MAX_NONCE) throw new NoiseError('nonce exhausted: the link must be re-established');
    const out = this.provider.aeadEncrypt(this.#key, this.#nonceAt(this.#n), ad, plaintext);
    this.#n += 1n;
    return out;
  }

  /** @param {Uint8Array} ad @param {Uint8Array} ciphertext @returns {Uint8Array} */
  decryptWithAd(ad, ciphertext) {
    if (this.#key === null) return ciphertext;
    if (this.#n >= MAX_NONCE) throw new NoiseError('nonce exhausted: the link must be re-established');
    if (ciphertext.length < NOISE_TAG_LENGTH) throw new NoiseError('ciphertext shorter than its tag');
    const plaintext = this.provider.aeadDecrypt(this.#key, this.#nonceAt(this.#n), ad, ciphertext);
    if (plaintext === null) throw new NoiseError('decryption failed (wrong key or altered message)');
    this.#n += 1n;
    return plaintext;
  }

  /** Transport encryption (no associated data). @param {Uint8Array} plaintext */
  encrypt(plaintext) {
    return this.encryptWithAd(EMPTY, plaintext);
  }

  /** Transport decryption (no associated data); throws NoiseError when the message does not authenticate. @param {Uint8Array} ciphertext */
  decrypt(ciphertext) {
    return this.decryptWithAd(EMPTY, ciphertext);
  }
}

/** The chaining key and handshake hash (spec section 5.2). */
class SymmetricState {
  /** @param {CryptoProvider} provider @param {string} protocolName */
  constructor(provider, protocolName) {
    this.provider = provider;
    const name = utf8(protocolName);
    if (name.length <= HASH_LENGTH) {
      this.h = new Uint8Array(HASH_LENGTH);
      this.h.set(name);
    } else {
      this.h = provider.sha256(name);
    }
    this.ck = this.h;
    this.cipher = new CipherState(provider);
  }

  /**
   * HKDF as the Noise spec defines it (section 4.3), on the provider's HMAC-SHA256.
   * @param {Uint8Array} ikm @param {2 | 3} outputs @returns {Uint8Array[]}
   */
  hkdf(ikm, outputs) {
    const hmac = this.provider.hmacSha256;
    const temp = hmac(this.ck, ikm);
    const out1 = hmac(temp, Uint8Array.of(1));
    const out2 = hmac(temp, concat([out1, Uint8Array.of(2)]));
    if (outputs === 2) return [out1, out2];
    return [out1, out2, hmac(temp, concat([out2, Uint8Array.of(3)]))];
  }

  /** @param {Uint8Array} ikm */
  mixKey(ikm) {
    const [ck, key] = this.hkdf(ikm, 2);
    this.ck = ck;
    this.cipher.initializeKey(key);
  }

  /** @param {Uint8Array} data */
  mixHash(data) {
    this.h = this.provider.sha256(concat([this.h, data]));
  }

  /** @param {Uint8Array} ikm */
  mixKeyAndHash(ikm) {
    const [ck, hash, key] = this.hkdf(ikm, 3);
    this.ck = ck;
    this.mixHash(hash);
    this.cipher.initializeKey(key);
  }

  /** @param {Uint8Array} plaintext */
  encryptAndHash(plaintext) {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** @param {Uint8Array} ciphertext */
  decryptAndHash(ciphertext) {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** @returns {[CipherState, CipherState]} initiator-to-responder, responder-to-initiator */
  split() {
    const [k1, k2] = this.hkdf(EMPTY, 2);
    return [new CipherState(this.provider, k1), new CipherState(this.provider, k2)];
  }
}

/** @typedef {'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk'} Token */

/** @type {Record<'XX' | 'XXpsk3', Token[][]>} */
const PATTERNS = {
  XX: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']],
  XXpsk3: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se', 'psk']],
};

/**
 * @typedef {object} HandshakeOptions
 * @property {CryptoProvider} provider
 * @property {'XX' | 'XXpsk3'} pattern
 * @property {boolean} initiator
 * @property {Uint8Array} prologue
 * @property {KeyPair} staticKeys  this side's static X25519 key pair
 * @property {Uint8Array} [psk]  32 bytes; required for XXpsk3
 * @property {KeyPair} [ephemeralKeys]  fixed ephemeral keys, for test vectors only
 */

/**
 * @typedef {object} HandshakeResult
 * @property {CipherState} send  encrypts this side's transport messages
 * @property {CipherState} receive  decrypts the peer's transport messages
 * @property {Uint8Array} handshakeHash  the final h, unique to this handshake (channel binding)
 * @property {Uint8Array} remoteStatic  the peer's static public key, authenticated by the handshake
 */

/**
 * One Noise handshake (spec section 5.3), for XX or XXpsk3. Call `writeMessage` and `readMessage` in the
 * pattern's order; after the last message `result` holds the transport CipherStates.
 */
export class HandshakeState {
  /** @type {Uint8Array | null} */
  #re = null;
  /** @type {Uint8Array | null} */
  #rs = null;
  /** @type {KeyPair | null} */
  #e = null;
  #index = 0;
  /** @type {HandshakeResult | null} */
  #result = null;
  #busy = false;

  /** @param {HandshakeOptions} options */
  constructor(options) {
    const { provider, pattern, initiator, prologue, staticKeys, psk } = options;
    if (pattern === 'XXpsk3' && (psk === undefined || psk.length !== 32)) throw new NoiseError('XXpsk3 needs a 32-byte psk');
    this.provider = provider;
    this.initiator = initiator;
    this.psk = pattern === 'XXpsk3' ? /** @type {Uint8Array} */ (psk) : null;
    this.s = staticKeys;
    this.fixedEphemeral = options.ephemeralKeys ?? null;
    this.messages = PATTERNS[pattern];
    this.symmetric = new SymmetricState(provider, `Noise_${pattern}_25519_ChaChaPoly_SHA256`);
    this.symmetric.mixHash(prologue);
  }

  /** Whether the next message is ours to write. */
  get isMyTurn() {
    return this.#index < this.messages.length && (this.#index % 2 === 0) === this.initiator;
  }

  get isComplete() {
    return this.#result !== null;
  }

  /** The transport state once the handshake is complete. */
  get result() {
    return this.#result;
  }

  /** The peer's static public key once received (not yet proven to hold the psk before the handshake completes). */
  get remoteStatic() {
    return this.#rs;
  }

  /** @param {Uint8Array} [payload] @returns {Promise<Uint8Array>} */
  async writeMessage(payload = EMPTY) {
    if (!this.isMyTurn) throw new NoiseError('not this side\'s turn to write a handshake message');
    this.#enter();
    try {
      const sym = this.symmetric;
      /** @type {Uint8Array[]} */
      const out = [];
      for (const token of this.messages[this.#index]) {
        if (token === 'e') {
          const e = this.fixedEphemeral ?? (await this.provider.x25519Generate());
          this.#e = e;
          out.push(e.publicKey);
          sym.mixHash(e.publicKey);
          if (this.psk !== null) sym.mixKey(e.publicKey);
        } else if (token === 's') {
          out.push(sym.encryptAndHash(this.s.publicKey));
        } else if (token === 'psk') {
          sym.mixKeyAndHash(/** @type {Uint8Array} */ (this.psk));
        } else {
          sym.mixKey(await this.#dh(token));
        }
      }
      out.push(sym.encryptAndHash(payload));
      const message = concat(out);
      if (message.length > NOISE_MAX_MESSAGE) throw new NoiseError(`handshake message of ${message.length} bytes exceeds ${NOISE_MAX_MESSAGE}`);
      this.#advance();
      return message;
    } finally {
      this.#busy = false;
    }
  }

  /** @param {Uint8Array} message @returns {Promise<Uint8Array>} the payload */
  async readMessage(message) {
    if (this.isMyTurn || this.isComplete) throw new NoiseError('not the peer\'s turn to send a handshake message');
    if (message.length > NOISE_MAX_MESSAGE) throw new NoiseError(`handshake message of ${message.length} bytes exceeds ${NOISE_MAX_MESSAGE}`);
    this.#enter();
    try {
      const sym = this.symmetric;
      let offset = 0;
      /** @param {number} length */
      const take = (length) => {
        if (message.length - offset < length) throw new NoiseError('handshake message too short');
        const part = message.subarray(offset, offset + length);
        offset += length;
        return part;
      };
      for (const token of this.messages[this.#index]) {
        if (token === 'e') {
          const re = take(DH_LENGTH).slice();
          this.#re = re;
          sym.mixHash(re);
          if (this.psk !== null) sym.mixKey(re);
        } else if (token === 's') {
          const length = sym.cipher.hasKey() ? DH_LENGTH + NOISE_TAG_LENGTH : DH_LENGTH;
          this.#rs = sym.decryptAndHash(take(length)).slice();
        } else if (token === 'psk') {
          sym.mixKeyAndHash(/** @type {Uint8Array} */ (this.psk));
        } else {
          sym.mixKey(await this.#dh(token));
        }
      }
      const rest = message.subarray(offset);
      if (sym.cipher.hasKey() && rest.length < NOISE_TAG_LENGTH) throw new NoiseError('handshake message too short');
      const payload = sym.decryptAndHash(rest);
      this.#advance();
      return payload;
    } finally {
      this.#busy = false;
    }
  }

  #enter() {
    if (this.#busy) throw new NoiseError('a handshake message is still being processed');
    this.#busy = true;
  }

  /** @param {'ee' | 'es' | 'se' | 'ss'} token */
  #dh(token) {
    const e = this.#e;
    const re = this.#re;
    const rs = this.#rs;
    const s = this.s;
    /** @param {KeyPair | null} local @param {Uint8Array | null} remote */
    const dh = (local, remote) => {
      if (local === null || remote === null) throw new NoiseError(`missing key for ${token}`);
      return this.provider.x25519(local.privateKey, remote);
    };
    switch (token) {
      case 'ee':
        return dh(e, re);
      case 'es':
        return this.initiator ? dh(e, rs) : dh(s, re);
      case 'se':
        return this.initiator ? dh(s, re) : dh(e, rs);
      case 'ss':
        return dh(s, rs);
    }
  }

  #advance() {
    this.#index += 1;
    if (this.#index < this.messages.length) return;
    const [c1, c2] = this.symmetric.split();
    this.#result = {
      send: this.initiator ? c1 : c2,
      receive: this.initiator ? c2 : c1,
      handshakeHash: this.symmetric.h,
      remoteStatic: /** @type {Uint8Array} */ (this.#rs),
    };
    this.#e = null;
  }
}
