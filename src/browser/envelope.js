// @ts-check
// Mesh messages as the browser sends and receives them inside the link's encrypted transport (the node's
// side is src/mesh/envelope.ts): a text message is one JSON object; a binary one is a 4-byte big-endian
// header length, a JSON header (an application message without `data`), then the payload.

import { WireError } from '../wire/errors.js';
import { MeshCloseCode } from '../wire/constants.js';


/** Hops an application message may travel, as the node uses. */
export const DEFAULT_TTL = 16;

/**
 * @typedef {{ key?: string, sig?: string }} Signed
 * @typedef {{ t: 'welcome' }} WelcomeMessage
 * @typedef {{ t: 'msg', id: string, from: string, to: string | null, ttl: number, hops: number, seq?: number, data?: string } & Signed} AppMessage
 * @typedef {{ t: 'ack', id: string, from: string, to: string, ttl: number } & Signed} AckMessage
 * @typedef {{ t: 'peers', peers: unknown[] }} PeersMessage the node's table (each entry checked by peer-list.js)
 * @typedef {WelcomeMessage | AppMessage | AckMessage | PeersMessage} MeshMessage
 * @typedef {{ message: MeshMessage, payload?: Uint8Array }} DecodedMessage
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** @param {string} message @returns {never} */
function bad(message) {
  throw new WireError(MeshCloseCode.BadMessage, message);
}

/** @param {Record<string, unknown>} fields @param {string[]} keys */
function requireStrings(fields, keys) {
  for (const key of keys) if (typeof fields[key] !== 'string') bad(`"${fields.t}" message without a string "${key}"`);
}

/**
 * Checks the fields the browser relies on; null for message types it does not use.
 * @param {unknown} value
 * @returns {MeshMessage | null}
 */
function checkMessage(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('a mesh message must be a JSON object');
  const fields = /** @type {Record<string, unknown>} */ (value);
  switch (fields.t) {
    case 'welcome':
      break;
    case 'msg':
      requireStrings(fields, ['id', 'from']);
      if (fields.to !== null && typeof fields.to !== 'string') bad('"msg" with a bad "to"');
      if (typeof fields.hops !== 'number') bad('"msg" without "hops"');
      break;
    case 'ack':
      requireStrings(fields, ['id', 'from', 'to']);
      break;
    case 'peers':
      if (!Array.isArray(fields.peers)) bad('"peers" without a list');
      break;
    default:
      if (typeof fields.t !== 'string') bad('a mesh message needs a string "t"');
      return null;
  }
  return /** @type {MeshMessage} */ (value);
}

/** @param {Uint8Array} bytes */
function parseJson(bytes) {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return bad('not UTF-8 JSON');
  }
}

/**
 * Decodes one mesh message (as the transport delivered it); null for types the browser does not use.
 * @param {Uint8Array} data @param {boolean} binary
 * @returns {DecodedMessage | null}
 */
export function decodeMessage(data, binary) {
  if (!binary) {
    const message = checkMessage(parseJson(data));
    if (message?.t === 'msg' && typeof message.data !== 'string') bad('a text "msg" needs string "data"');
    return message && { message };
  }
  if (data.length < 4) bad('binary message shorter than its header length');
  const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  if (headerLength > data.length - 4) bad(`binary header length ${headerLength} exceeds the message`);
  const message = checkMessage(parseJson(data.subarray(4, 4 + headerLength)));
  if (message === null) return null;
  if (message.t !== 'msg' || message.data !== undefined) bad('a binary message must be a "msg" without "data"');
  return { message, payload: data.slice(4 + headerLength) };
}

/**
 * A text application message carries its text in `data`; a binary one has no `data` and travels with its
 * payload behind the JSON header (both signed as they travel: wire signing.js).
 * @param {Record<string, unknown>} header the message without `data`
 * @param {string | Uint8Array} data
 * @returns {{ message: Record<string, unknown>, payload: Uint8Array | undefined }}
 */
export function appMessage(header, data) {
  return typeof data === 'string' ? { message: { ...header, data }, payload: undefined } : { message: header, payload: data };
}

/**
 * Encodes a mesh message: as JSON text, or with `payload` as a binary message (JSON header behind its length).
 * @param {Record<string, unknown>} message
 * @param {Uint8Array} [payload]
 * @returns {{ bytes: Uint8Array, binary: boolean }}
 */
export function encodeMessage(message, payload) {
  const json = encoder.encode(JSON.stringify(message));
  if (payload === undefined) return { bytes: json, binary: false };
  const bytes = new Uint8Array(4 + json.length + payload.byteLength);
  new DataView(bytes.buffer).setUint32(0, json.length);
  bytes.set(json, 4);
  bytes.set(payload, 4 + json.length);
  return { bytes, binary: true };
}
