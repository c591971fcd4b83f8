// @ts-check
// A browser peer's identity: an Ed25519 key pair kept by the page in IndexedDB, so that the tab stays the
// same peer across reloads. In a secure context whose WebCrypto does Ed25519 the private key is a
// non-extractable CryptoKey: the page can sign with it but no script (the page's own included) can read
// its bytes. Elsewhere (a page on http://<LAN address>) WebCrypto does not exist and the key is kept as
// raw bytes, signed with @noble/curves: any script running in the page's origin can read and copy it.
import { ed25519 } from '@noble/curves/ed25519.js';
import { idFromPublicKey } from '../wire/identity.js';
import { nobleCrypto, randomBytes } from './crypto-noble.js';
import { isSecureContext } from './crypto-webcrypto.js';

/**
 * @typedef {object} IdentityKey
 * @property {string} id the peer id derived from the public key (as every node derives it)
 * @property {Uint8Array} publicKey the 32-byte Ed25519 public key
 * @property {(message: Uint8Array) => Promise<Uint8Array>} sign a 64-byte Ed25519 signature
 * @property {'webcrypto' | 'raw'} storage how the private key is kept
 * @property {Uint8Array | null} privateKey the 32-byte seed when `storage` is 'raw', else null (not readable)
 */

/**
 * @typedef {{ type: 'webcrypto', keys: CryptoKeyPair, publicKey: Uint8Array }
 *   | { type: 'raw', seed: Uint8Array, publicKey: Uint8Array }} StoredKey
 */

const DATABASE = 'wsmesh';
const STORE = 'identity-keys';
const ED25519 = { name: 'Ed25519' };

/** @returns {Promise<IDBDatabase>} */
function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * @template T
 * @param {'readonly' | 'readwrite'} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} action
 * @returns {Promise<T>}
 */
async function withStore(mode, action) {
  const database = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const request = action(database.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    database.close();
  }
}

/** @param {unknown} value @returns {value is StoredKey} */
function isStoredKey(value) {
  if (typeof value !== 'object' || value === null) return false;
  const stored = /** @type {Record<string, unknown>} */ (value);
  if (!(stored.publicKey instanceof Uint8Array) || stored.publicKey.length !== 32) return false;
  if (stored.type === 'raw') return stored.seed instanceof Uint8Array && stored.seed.length === 32;
  return stored.type === 'webcrypto' && typeof stored.keys === 'object' && stored.keys !== null;
}

/** Whether WebCrypto can make a non-extractable Ed25519 key here (secure contexts of current browsers). */
async function webCryptoEd25519() {
  if (!isSecureContext() || globalThis.crypto?.subtle === undefined) return false;
  try {
    await crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

/** @returns {Promise<StoredKey>} */
async function createKey() {
  if (await webCryptoEd25519()) {
    const keys = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']));
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    return { type: 'webcrypto', keys, publicKey };
  }
  const seed = randomBytes(32);
  return { type: 'raw', seed, publicKey: ed25519.getPublicKey(seed) };
}

/** @param {StoredKey} stored @returns {IdentityKey} */
function toIdentity(stored) {
  if (stored.type === 'webcrypto') {
    const privateKey = stored.keys.privateKey;
    return {
      id: idFromPublicKey(nobleCrypto, stored.publicKey),
      publicKey: stored.publicKey,
      storage: 'webcrypto',
      privateKey: null,
      sign: async (message) => new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, Uint8Array.from(message))),
    };
  }
  const seed = stored.seed;
  return {
    id: idFromPublicKey(nobleCrypto, stored.publicKey),
    publicKey: stored.publicKey,
    storage: 'raw',
    privateKey: seed,
    sign: async (message) => ed25519.sign(message, seed),
  };
}

/**
 * The identity key kept under `slot` (one per tab, see the page's identity.js), created on first use.
 * A key made in a non-secure context stays raw when the page is later opened in a secure one (and the
 * other way round: a stored WebCrypto key cannot be used where WebCrypto is missing, so a new raw key
 * is made there). Without IndexedDB (some private modes) the key lives as long as the page.
 * @param {string} slot
 * @returns {Promise<IdentityKey>}
 */
export async function loadIdentityKey(slot) {
  let stored;
  try {
    stored = await withStore('readonly', (store) => store.get(slot));
  } catch {
    return toIdentity(await createKey());
  }
  const usable = isStoredKey(stored) && (stored.type === 'raw' || globalThis.crypto?.subtle !== undefined);
  if (usable) return toIdentity(stored);
  const created = await createKey();
  await withStore('readwrite', (store) => store.put(created, slot)).catch(() => undefined);
  return toIdentity(created);
}

/**
 * An identity key that is not stored anywhere (tests, short-lived clients).
 * @param {{ webCrypto?: boolean }} [options] false: a raw key even where WebCrypto could keep it
 * @returns {Promise<IdentityKey>}
 */
export async function ephemeralIdentityKey(options = {}) {
  if (options.webCrypto === false) {
    const seed = randomBytes(32);
    return toIdentity({ type: 'raw', seed, publicKey: ed25519.getPublicKey(seed) });
  }
  return toIdentity(await createKey());
}
