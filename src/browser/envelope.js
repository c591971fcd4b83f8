// @ts-check
// wsmesh.v1 frames as the browser sees them (the node's side is src/mesh/envelope.ts): a text frame
// is one JSON object; a binary frame is a 4-byte big-endian header length, a JSON header (an
// application message without `data`), then the payload.

/** @import { MeshPeer } from './index.js' */

export const MESH_SUBPROTOCOL = 'wsmesh.v1';
export const MESH_PROTOCOL_VERSION = 1;
/** Hops an application message may travel, as the node uses. */
export const DEFAULT_TTL = 16;

/**
 * @typedef {{ t: 'hello', v: number, id: string, name: string, mesh: string, kind: 'node' | 'browser',
 *   listen: string[], nonce: string, auth: boolean, boot: string }} HelloMessage
 * @typedef {{ t: 'auth', proof: string }} AuthMessage
 * @typedef {{ t: 'welcome' }} WelcomeMessage
 * @typedef {{ t: 'msg', id: string, from: string, to: string | null, ttl: number, hops: number, data?: string }} AppMessage
 * @typedef {{ t: 'ack', id: string, from: string, to: string, ttl: number }} AckMessage
 * @typedef {{ t: 'peers', peers: MeshPeer[] }} PeersMessage
 * @typedef {HelloMessage | AuthMessage | WelcomeMessage | AppMessage | AckMessage | PeersMessage} MeshMessage
 * @typedef {{ message: MeshMessage, payload?: Uint8Array }} DecodedFrame
 */

/** A frame that breaks wsmesh.v1; the connection is closed with 4000. */
export class BadFrameError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'BadFrameError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** @param {Record<string, unknown>} fields @param {string[]} keys */
function requireStrings(fields, keys) {
  for (const key of keys) {
    if (typeof fields[key] !== 'string') throw new BadFrameError(`"${fields.t}" message without a string "${key}"`);
  }
}

/**
 * Checks the fields the browser relies on; returns null for message types it does not use.
 * @param {unknown} value
 * @returns {MeshMessage | null}
 */
function checkMessage(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadFrameError('a mesh message must be a JSON object');
  const fields = /** @type {Record<string, unknown>} */ (value);
  switch (fields.t) {
    case 'hello':
      requireStrings(fields, ['id', 'name', 'mesh', 'nonce', 'kind']);
      if (typeof fields.v !== 'number') throw new BadFrameError('hello without a version');
      break;
    case 'auth':
      requireStrings(fields, ['proof']);
      break;
    case 'welcome':
      break;
    case 'msg':
      requireStrings(fields, ['id', 'from']);
      if (fields.to !== null && typeof fields.to !== 'string') throw new BadFrameError('"msg" with a bad "to"');
      if (typeof fields.hops !== 'number') throw new BadFrameError('"msg" without "hops"');
      break;
    case 'ack':
      requireStrings(fields, ['id', 'from', 'to']);
      break;
    case 'peers':
      if (!Array.isArray(fields.peers)) throw new BadFrameError('"peers" without a list');
      break;
    default:
      if (typeof fields.t !== 'string') throw new BadFrameError('a mesh message needs a string "t"');
      return null;
  }
  return /** @type {MeshMessage} */ (value);
}

/** @param {string} text */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadFrameError('not valid JSON');
  }
}

/**
 * Decodes one WebSocket message (the socket's binaryType must be 'arraybuffer'); null for unknown types.
 * @param {string | ArrayBuffer} data
 * @returns {DecodedFrame | null}
 */
export function decodeFrame(data) {
  if (typeof data === 'string') {
    const message = checkMessage(parseJson(data));
    if (message?.t === 'msg' && typeof message.data !== 'string') throw new BadFrameError('a text "msg" needs string "data"');
    return message && { message };
  }
  const bytes = new Uint8Array(data);
  if (bytes.length < 4) throw new BadFrameError('binary frame shorter than its header length');
  const headerLength = new DataView(data).getUint32(0);
  if (headerLength > bytes.length - 4) throw new BadFrameError(`binary header length ${headerLength} exceeds the frame`);
  let header;
  try {
    header = decoder.decode(bytes.subarray(4, 4 + headerLength));
  } catch {
    throw new BadFrameError('binary frame header is not UTF-8');
  }
  const message = checkMessage(parseJson(header));
  if (message === null) return null;
  if (message.t !== 'msg' || message.data !== undefined) throw new BadFrameError('a binary frame must carry a "msg" without "data"');
  return { message, payload: bytes.slice(4 + headerLength) };
}

/**
 * Encodes an application message: text inline as JSON, binary behind a JSON header.
 * @param {Omit<AppMessage, 'data'>} header
 * @param {string | Uint8Array} data
 * @returns {string | Uint8Array<ArrayBuffer>}
 */
export function encodeApp(header, data) {
  if (typeof data === 'string') return JSON.stringify({ ...header, data });
  const headerBytes = encoder.encode(JSON.stringify(header));
  const frame = new Uint8Array(4 + headerBytes.length + data.byteLength);
  new DataView(frame.buffer).setUint32(0, headerBytes.length);
  frame.set(headerBytes, 4);
  frame.set(data, 4 + headerBytes.length);
  return frame;
}
