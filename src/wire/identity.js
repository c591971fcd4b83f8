// @ts-check
/** Identities (Ed25519 keys and the ids derived from them) and the mesh PSK. */
import { toHex, utf8 } from './bytes.js';
import { ID_BYTES, MIN_SECRET_LENGTH, OPEN_MESH_PSK_PREFIX, PSK_SALT_PREFIX, PSK_SCRYPT_PARAMS } from './constants.js';
/** @import { CryptoProvider, KeyPair } from './provider.js' */


/**
 * The id of an identity: the first 16 bytes of SHA-256(public key), hex (32 characters, 128 bits).
 * @param {CryptoProvider} provider @param {Uint8Array} publicKey @returns {string}
 */
export function idFromPublicKey(provider, publicKey) {
  return toHex(provider.sha256(publicKey).subarray(0, ID_BYTES));
}

/** Whether `id` looks like an id (32 lower-case hex characters). @param {unknown} id @returns {id is string} */
export function isId(id) {
  return typeof id === 'string' && id.length === ID_BYTES * 2 && /^[0-9a-f]+$/.test(id);
}

/**
 * Throws a TypeError when a secret is too short to resist guessing (fewer than MIN_SECRET_LENGTH characters).
 * @param {string} secret
 */
export function checkSecret(secret) {
  if (typeof secret !== 'string' || [...secret].length < MIN_SECRET_LENGTH) {
    throw new TypeError(`the mesh secret must have at least ${MIN_SECRET_LENGTH} characters (a short secret is guessed offline from one recorded handshake)`);
  }
}

/**
 * The Noise PSK of a mesh. With a secret: scrypt(secret, SHA-256("wsmesh-psk-salt:" + mesh), N=2^15, r=8, p=1),
 * 32 bytes. Without one (an open mesh): SHA-256("wsmesh-open-mesh-psk:" + mesh), which anyone can compute.
 * @param {CryptoProvider} provider @param {string} mesh @param {string | undefined} secret
 * @returns {Promise<Uint8Array>}
 */
export async function derivePsk(provider, mesh, secret) {
  if (secret === undefined) return provider.sha256(utf8(OPEN_MESH_PSK_PREFIX + mesh));
  checkSecret(secret);
  const salt = provider.sha256(utf8(PSK_SALT_PREFIX + mesh));
  return provider.scrypt(utf8(secret), salt, PSK_SCRYPT_PARAMS);
}

/**
 * An identity: an Ed25519 key pair and its id.
 * @typedef {object} Identity
 * @property {string} id
 * @property {Uint8Array} publicKey
 * @property {Uint8Array} privateKey
 */

/**
 * The identity of a key pair; without one, a new (ephemeral) identity.
 * @param {CryptoProvider} provider @param {Uint8Array} [privateKey] the 32-byte Ed25519 seed
 * @returns {Identity}
 */
export function createIdentity(provider, privateKey) {
  const { publicKey, privateKey: seed } = provider.ed25519Generate(privateKey);
  return { id: idFromPublicKey(provider, publicKey), publicKey, privateKey: seed };
}
