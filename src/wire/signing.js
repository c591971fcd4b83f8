// @ts-check
/**
 * Signed mesh messages: every `msg`, `ack` and `links` record (and any other message a node floods on behalf of
 * an origin) carries its origin's Ed25519 public key (`key`) and signature (`sig`), both base64url. The signature
 * covers every field except those relays change (`ttl`, `hops`) and `sig` itself, in a canonical form:
 *
 *   "wsmesh-sig:" || u32be(length of J) || J || payload
 *
 * where J is the UTF-8 JSON of the message's fields with keys sorted at every level, and `payload` the bytes of a
 * binary application message (empty otherwise). A verifier checks that `key` derives the origin's id (`from`, or
 * `origin` for links records) and that the signature holds; signing and verification happen only here.
 */
import { concat, toBase64Url, utf8 } from './bytes.js';
import { idFromPublicKey } from './identity.js';

/** @import { CryptoProvider } from './provider.js' */
/** @import { Identity } from './identity.js' */

export const SIGNATURE_PREFIX = 'wsmesh-sig:';
/** Fields a relay may change; not signed. */
export const UNSIGNED_FIELDS = Object.freeze(['ttl', 'hops', 'sig']);
const SIGNATURE_LENGTH = 64;
const KEY_LENGTH = 32;

/** @param {unknown} value @returns {unknown} */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const key of Object.keys(value).sort()) {
      const field = /** @type {Record<string, unknown>} */ (value)[key];
      if (field !== undefined) out[key] = canonical(field);
    }
    return out;
  }
  return value;
}

/**
 * The bytes a message's signature covers.
 * @param {Record<string, unknown>} message @param {Uint8Array} [payload] @returns {Uint8Array}
 */
export function signedBytes(message, payload) {
  /** @type {Record<string, unknown>} */
  const fields = {};
  for (const key of Object.keys(message)) if (!UNSIGNED_FIELDS.includes(key)) fields[key] = message[key];
  const json = utf8(JSON.stringify(canonical(fields)));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length);
  return concat([utf8(SIGNATURE_PREFIX), length, json, payload ?? new Uint8Array(0)]);
}

/** @param {string} text @returns {Uint8Array | null} */
function fromBase64Url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/**
 * Adds `key` and `sig` to a message (in place) and returns it.
 * @template {Record<string, unknown>} T
 * @param {CryptoProvider} provider @param {Identity} identity @param {T} message @param {Uint8Array} [payload]
 * @returns {T & { key: string, sig: string }}
 */
export function signMessage(provider, identity, message, payload) {
  const signed = /** @type {T & { key: string, sig: string }} */ (message);
  signed.key = toBase64Url(identity.publicKey);
  signed.sig = toBase64Url(provider.ed25519Sign(identity.privateKey, signedBytes(message, payload)));
  return signed;
}

/**
 * Why a message's signature does not hold, or null when it does: `key` must derive `originId` and sign the message.
 * @param {CryptoProvider} provider @param {Record<string, unknown>} message @param {string} originId
 * @param {Uint8Array} [payload] @returns {string | null}
 */
export function signatureProblem(provider, message, originId, payload) {
  const key = fromBase64Url(/** @type {string} */ (message.key));
  const sig = fromBase64Url(/** @type {string} */ (message.sig));
  if (key === null || key.length !== KEY_LENGTH) return 'missing or malformed "key"';
  if (sig === null || sig.length !== SIGNATURE_LENGTH) return 'missing or malformed "sig"';
  if (idFromPublicKey(provider, key) !== originId) return `"key" is not the key of ${originId}`;
  if (!provider.ed25519Verify(key, signedBytes(message, payload), sig)) return `bad signature of ${originId}`;
  return null;
}
