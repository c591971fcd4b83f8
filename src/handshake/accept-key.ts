import * as crypto from 'node:crypto';

/** The GUID of RFC 6455 section 1.3, appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const BASE64_OF_16_BYTES = /^[A-Za-z0-9+/]{22}==$/;

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). */
export function computeAcceptKey(key: string): string {
  // crypto.hash (Node >= 20.12) hashes in one call without a Hash object; the key is ASCII, so utf8 = latin1.
  if (oneShotHash !== undefined) return oneShotHash('sha1', key + WEBSOCKET_GUID, 'base64');
  return crypto.createHash('sha1').update(key + WEBSOCKET_GUID, 'latin1').digest('base64');
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function generateKey(): string {
  return crypto.randomBytes(16).toString('base64');
}

/** Whether a `Sec-WebSocket-Key` is base64 of exactly 16 bytes (RFC 6455 section 4.1). */
export function isValidKey(key: string): boolean {
  return BASE64_OF_16_BYTES.test(key);
}
