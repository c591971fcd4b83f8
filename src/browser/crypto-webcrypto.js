// @ts-check
// The provider for pages in a secure context (https, localhost): X25519 from WebCrypto (`crypto.subtle`,
// asynchronous, which the wire module allows for Diffie-Hellman only). WebCrypto has no ChaCha20-Poly1305
// and no synchronous hash, so the AEAD, SHA-256/HMAC and the Ed25519 checks of other peers' signatures
// (on the per-message path, which must be synchronous) come from @noble as in crypto-noble.js. The page's
// own identity key is a non-extractable WebCrypto Ed25519 key in these contexts (see identity-key.js).
import { nobleCrypto } from './crypto-noble.js';

/** @import { CryptoProvider, KeyPair } from '../wire/provider.js' */
/** @typedef {Awaited<ReturnType<typeof crypto.subtle.importKey>>} WebCryptoKey */

/** DER header that wraps a raw 32-byte X25519 private key as PKCS#8 (RFC 8410). */
const PKCS8_X25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
const X25519 = { name: 'X25519' };

/** @param {Uint8Array} raw */
function pkcs8(raw) {
  const der = new Uint8Array(PKCS8_X25519.length + raw.length);
  der.set(PKCS8_X25519);
  der.set(raw, PKCS8_X25519.length);
  return der;
}

/** Whether this page is a secure context (false outside a browser, where the global is missing). */
export function isSecureContext() {
  return /** @type {{ isSecureContext?: boolean }} */ (globalThis).isSecureContext === true;
}

/**
 * Whether this page can use the WebCrypto provider: a secure context whose `crypto.subtle` does X25519
 * (Chromium, Firefox, Safari of 2025 do; older ones do not).
 * @returns {Promise<boolean>}
 */
export async function webCryptoAvailable() {
  if (!isSecureContext() || globalThis.crypto?.subtle === undefined) return false;
  try {
    await crypto.subtle.generateKey(X25519, false, ['deriveBits']);
    return true;
  } catch {
    return false;
  }
}

/** @param {Uint8Array} [privateKey] @returns {Promise<KeyPair>} */
async function x25519Generate(privateKey) {
  const subtle = crypto.subtle;
  if (privateKey !== undefined) {
    // The public key of a given private key: import it and read the public half from its JWK.
    const key = await subtle.importKey('pkcs8', pkcs8(privateKey), X25519, true, ['deriveBits']);
    const jwk = await subtle.exportKey('jwk', key);
    return { publicKey: fromBase64Url(/** @type {string} */ (jwk.x)), privateKey: privateKey.slice() };
  }
  const pair = /** @type {{ publicKey: WebCryptoKey, privateKey: WebCryptoKey }} */ (await subtle.generateKey(X25519, true, ['deriveBits']));
  const [publicKey, der] = await Promise.all([subtle.exportKey('raw', pair.publicKey), subtle.exportKey('pkcs8', pair.privateKey)]);
  return { publicKey: new Uint8Array(publicKey), privateKey: new Uint8Array(der).slice(-32) };
}

/** @param {Uint8Array} privateKey @param {Uint8Array} publicKey */
async function x25519(privateKey, publicKey) {
  const subtle = crypto.subtle;
  const [own, theirs] = await Promise.all([
    subtle.importKey('pkcs8', pkcs8(privateKey), X25519, false, ['deriveBits']),
    subtle.importKey('raw', Uint8Array.from(publicKey), X25519, false, []),
  ]);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: theirs }, own, 256));
}

/** @param {string} text */
function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** @type {CryptoProvider} */
export const webCrypto = { ...nobleCrypto, x25519Generate, x25519 };
