// @ts-check
/** The hello: what a peer says about itself inside the link handshake (after its identity is proven). */
import { fromUtf8, utf8 } from './bytes.js';
import { MAX_ID_LENGTH, MAX_LISTEN_URLS, MAX_NAME_LENGTH, MAX_URL_LENGTH, MESH_PROTOCOL_VERSION, MeshCloseCode } from './constants.js';
import { WireError } from './errors.js';
import { bad, kind, list, text } from './fields.js';

const HELLO = 'hello ';

/**
 * @typedef {'node' | 'browser'} PeerKind
 *
 * @typedef {object} Hello
 * @property {number} v  protocol version (MESH_PROTOCOL_VERSION)
 * @property {string} name  human name
 * @property {string} mesh  mesh name
 * @property {PeerKind} kind
 * @property {string[]} listen  ws:// URLs the sender accepts connections on (empty for browsers)
 * @property {string} boot  random per process start: tells a restarted peer from a duplicate connection
 * @property {boolean} [batch]  the sender opens batched transport messages (FRAGMENT_BATCH); absent means no
 */

/** @param {unknown} value @returns {string} */
function listenUrl(value) {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !/^wss?:\/\/[^/?#]/.test(value)) {
    bad(`hello "listen" entries must be ws:// URLs of at most ${MAX_URL_LENGTH} characters`);
  }
  try {
    if (new URL(value).hostname === '') bad('hello "listen" entries must name a host');
  } catch {
    bad('hello "listen" entries must be ws:// URLs');
  }
  return value;
}

/** @param {Hello} hello @returns {Uint8Array} */
export function encodeHello(hello) {
  const { v, name, mesh, kind, listen, boot, batch } = hello;
  return utf8(JSON.stringify({ v, name, mesh, kind, listen, boot, ...(batch === true ? { batch } : {}) }));
}

/**
 * Validates a hello; a version mismatch is IncompatibleVersion, anything malformed BadMessage.
 * @param {Uint8Array} bytes @returns {Hello}
 */
export function decodeHello(bytes) {
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    bad('hello is not valid UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('hello must be a JSON object');
  const fields = /** @type {Record<string, unknown>} */ (value);
  if (fields.v !== MESH_PROTOCOL_VERSION) {
    throw new WireError(MeshCloseCode.IncompatibleVersion, `protocol version ${String(fields.v)}, expected ${MESH_PROTOCOL_VERSION}`);
  }
  const peerKind = kind(fields, HELLO);
  const listen = list(fields, 'listen', MAX_LISTEN_URLS, listenUrl, HELLO);
  return {
    v: MESH_PROTOCOL_VERSION,
    name: text(fields, 'name', MAX_NAME_LENGTH, HELLO),
    mesh: text(fields, 'mesh', MAX_NAME_LENGTH, HELLO),
    kind: peerKind,
    listen,
    boot: text(fields, 'boot', MAX_ID_LENGTH, HELLO),
    ...(fields.batch === true ? { batch: true } : {}),
  };
}
