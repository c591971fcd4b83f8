// @ts-check
import { hmacSha256 } from './sha256.js';

const encoder = new TextEncoder();

/** @param {Uint8Array} bytes */
export function toHex(bytes) {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** @param {number} byteCount */
export function randomHex(byteCount) {
  return toHex(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/**
 * HMAC-SHA256 of `message` under `secret` (both UTF-8), hex. Uses WebCrypto where the page has it
 * (secure contexts) and the plain-JS implementation elsewhere; both give the same bytes.
 * @param {string} secret
 * @param {string} message
 * @returns {Promise<string>}
 */
export async function hmacHex(secret, message) {
  const key = encoder.encode(secret);
  const data = encoder.encode(message);
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return toHex(hmacSha256(key, data));
  const cryptoKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(new Uint8Array(await subtle.sign('HMAC', cryptoKey, data)));
}

/**
 * The wsmesh.v1 proof that the sender knows the secret (same bytes as the node's src/mesh/auth.ts):
 * HMAC-SHA256(secret, "wsmesh.v1 auth|" + senderId + "|" + senderNonce + "|" + receiverNonce), hex.
 * @param {string} secret
 * @param {string} senderId
 * @param {string} senderNonce
 * @param {string} receiverNonce
 */
export function computeProof(secret, senderId, senderNonce, receiverNonce) {
  return hmacHex(secret, `wsmesh.v1 auth|${senderId}|${senderNonce}|${receiverNonce}`);
}
