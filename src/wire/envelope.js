// @ts-check
/**
 * The mesh message envelope, written once for Node and browser pages: the message types, the validation of
 * every field (limits and error messages), and the encoding of a mesh message inside the link's encrypted
 * transport. A text message is one JSON object; a binary one is a 4-byte big-endian header length, that many
 * bytes of JSON header (an application message without `data`), then the payload. Only Uint8Array and
 * TextEncoder/TextDecoder: a Node Buffer passes as the Uint8Array it is, without a copy.
 */
import { MAX_ID_LENGTH, MAX_LISTEN_URLS, MAX_NAME_LENGTH, MAX_URL_LENGTH } from './constants.js';
import { fromUtf8 } from './bytes.js';
import { bad, kind, list, text } from './fields.js';

const encoder = new TextEncoder();

/**
 * How a platform makes and reads the bytes of frames. The defaults are plain Uint8Array and a fatal TextDecoder;
 * Node passes Buffer's pooled allocation and its native UTF-8 decoding (src/mesh/envelope.ts), on its hot path.
 * @typedef {object} FrameBytes
 * @property {(length: number) => Uint8Array} alloc a new array of `length` bytes; may be uninitialised (every byte
 *   of a frame is written)
 * @property {(bytes: Uint8Array, start: number, end: number) => string} text decodes the UTF-8 of bytes
 *   `start..end`; throws on invalid bytes
 */

/** @type {FrameBytes} */
export const plainBytes = Object.freeze({
  alloc: (/** @type {number} */ length) => new Uint8Array(length),
  text: (/** @type {Uint8Array} */ bytes, /** @type {number} */ start, /** @type {number} */ end) => fromUtf8(bytes.subarray(start, end)),
});

/** @import { PeerKind } from './hello.js' */
/** @import { Fields } from './fields.js' */

/**
 * The last message of the link handshake, inside the Noise transport: the arbiter of the pair (see link.ts) admitted
 * the link.
 * @typedef {{ t: 'welcome' }} WelcomeMessage
 *
 * @typedef {object} LinkEntry
 * @property {string} id
 * @property {string} name
 * @property {PeerKind} kind
 * @property {string} [url] Where the record's origin reaches this neighbour (nodes only): others may dial it there
 *   when a slot is free.
 *
 * A node's current list of neighbours, flooded through the mesh (newest `seq` per origin wins). Issued only when
 * the origin's links change; `boot` names the origin's incarnation, so that a node can tell an echo of its current
 * record (ignored) from a record of its previous run (superseded by a fresh one).
 * A record with `base` is a delta: it changes the origin's record `base` (same `boot`): `links` holds only the
 * entries added or changed since, `gone` the ids of the entries removed. A node that does not hold record `base`
 * cannot use it and asks a neighbour for the records since the last full one (`digest` with `pull`). A record
 * without `base` is full (`gone` absent): the whole list. So a record's size follows the changes, not the degree.
 * @typedef {object} LinksMessage
 * @property {'links'} t
 * @property {string} origin
 * @property {string} boot
 * @property {number} seq
 * @property {string} name
 * @property {PeerKind} kind
 * @property {LinkEntry[]} links
 * @property {number} [base] The seq of the record this delta changes (absent: a full record).
 * @property {string[]} [gone] Ids removed since `base` (deltas only).
 * @property {string} [key]
 * @property {string} [sig]
 *
 * Sent once on a new node-to-node link: the `[origin, seq]` of every links record the sender holds (its own
 * included). The receiver answers with only the records the sender lacks or holds older, instead of all of them
 * (for an origin with deltas: the full record and the deltas since, or only the deltas after the one held).
 * With `pull`, the sender misses the base of a delta: the receiver answers with every newer record of the origins
 * listed (and only those), however recent.
 * @typedef {{ t: 'digest', have: Array<[origin: string, seq: number]>, pull?: true }} DigestMessage
 *
 * Broadcast tree repair (Plumtree's lazy push): ids of broadcasts the sender received, told to a neighbour it
 * does not push them to. A neighbour that misses one of them asks for it with `graft`.
 * @typedef {{ t: 'ihave', ids: string[] }} IhaveMessage
 * Sends these broadcasts (that the receiver announced with `ihave`), and push broadcasts on this link from now.
 * @typedef {{ t: 'graft', ids: string[] }} GraftMessage
 * The receiver got a broadcast twice, once over this link: stop pushing broadcasts here (announce them lazily).
 * Only broadcasts that do not follow their origin's shortest-path tree (links records; an origin whose record
 * the sender does not hold) are pushed by these eager/lazy links (src/mesh/broadcast-tree.ts).
 * @typedef {{ t: 'prune' }} PruneMessage
 *
 * Application message; `to: null` is a broadcast. Binary data travels in a binary frame, text in `data`.
 * @typedef {object} AppMessage
 * @property {'msg'} t
 * @property {string} id
 * @property {string} from
 * @property {string | null} to
 * @property {number} ttl
 * @property {number} hops
 * @property {number} [seq] The origin's message counter (replay protection per origin).
 * @property {string} [data]
 * @property {string} [key] The origin's identity key and signature (signing.js); required on receipt.
 * @property {string} [sig]
 *
 * Acknowledges a direct message to its sender.
 * @typedef {object} AckMessage
 * @property {'ack'} t
 * @property {string} id
 * @property {string} from
 * @property {string} to
 * @property {number} ttl
 * @property {string} [key]
 * @property {string} [sig]
 *
 * One row of a node's peer table as it tells its browser peers.
 * @typedef {object} PeerEntry
 * @property {string} id
 * @property {string} name
 * @property {PeerKind} kind
 * @property {string} state
 * @property {'inbound' | 'outbound' | null} direction
 * @property {boolean} reachable
 * @property {string | null} via
 * @property {number | null} hops
 * @property {number | null} rtt Smoothed RTT from the node, ms.
 *
 * Node to browser peer: the node's peer table (browsers do not follow `links`; nodes ignore it). Decoding checks
 * only that `peers` is a list: the page checks each entry (src/browser/peer-list.js).
 * @typedef {{ t: 'peers', peers: PeerEntry[] }} PeersMessage
 *
 * @typedef {IhaveMessage | GraftMessage | PruneMessage} TreeMessage
 * @typedef {WelcomeMessage | LinksMessage | DigestMessage | AckMessage | TreeMessage} ControlMessage
 * @typedef {ControlMessage | AppMessage} MeshMessage
 * Messages signed by their origin: every node verifies them before relaying or delivering.
 * @typedef {AppMessage | AckMessage | LinksMessage} SignedMessage
 *
 * One decoded mesh message; `payload` is the data of a binary application message (a view into the frame).
 * @typedef {{ message: MeshMessage | PeersMessage, payload?: Uint8Array }} WireFrame
 */

/** Limits of the fields of mesh messages, in characters (ids, nonces, proofs; names, meshes) or entries. */
export { MAX_ID_LENGTH, MAX_LISTEN_URLS, MAX_NAME_LENGTH, MAX_URL_LENGTH };
export const MAX_LINK_ENTRIES = 4096;
/** Longest `key` / `sig` field (base64url of 32 / 64 bytes is 43 / 86 characters). */
const MAX_SIGNATURE_FIELD = 128;
/** Most entries of a `digest` (a node keeps at most 1024 records, plus its own). */
export const MAX_DIGEST_ENTRIES = 1025;
/** Most broadcast ids in one `ihave` or `graft`. */
export const MAX_TREE_IDS = 1024;
/** Most rows of a `peers` table (as many as a links record may name). */
const MAX_PEER_ENTRIES = MAX_LINK_ENTRIES;
/** Hops an application message may travel by default (a node's `ttl` option). */
export const DEFAULT_TTL = 16;

/** @param {Fields} fields @param {string} key @returns {number} */
function count(fields, key) {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    bad(`field "${key}" must be a non-negative integer`);
  }
  return value;
}

/** @param {unknown} value @returns {LinkEntry} */
function linkEntry(value) {
  if (typeof value !== 'object' || value === null) bad('"links" entries must be objects');
  const fields = /** @type {Fields} */ (value);
  /** @type {LinkEntry} */
  const entry = { id: text(fields, 'id', MAX_ID_LENGTH), name: text(fields, 'name', MAX_NAME_LENGTH), kind: kind(fields) };
  if (fields.url !== undefined) entry.url = listenUrl(fields.url);
  return entry;
}

/**
 * The `key` and `sig` of a signed message, when present (their check is signing.js's).
 * @param {Fields} fields @returns {{ key?: string, sig?: string }}
 */
function signature(fields) {
  /** @type {{ key?: string, sig?: string }} */
  const out = {};
  if (fields.key !== undefined) out.key = text(fields, 'key', MAX_SIGNATURE_FIELD);
  if (fields.sig !== undefined) out.sig = text(fields, 'sig', MAX_SIGNATURE_FIELD);
  return out;
}

/**
 * The `base` and `gone` of a delta links record (see {@link LinksMessage}), when present.
 * @param {Fields} fields @returns {{ base?: number, gone?: string[] }}
 */
function delta(fields) {
  if (fields.base === undefined) {
    if (fields.gone !== undefined) bad('field "gone" needs "base" (only a delta record removes entries)');
    return {};
  }
  const base = count(fields, 'base');
  if (base >= /** @type {number} */ (fields.seq)) bad('field "base" must be smaller than "seq"');
  return { base, gone: list(fields, 'gone', MAX_LINK_ENTRIES, (id) => text({ id }, 'id', MAX_ID_LENGTH)) };
}

/** @param {Fields} fields @returns {true} */
function pullFlag(fields) {
  if (fields.pull !== true) bad('field "pull" must be true when present');
  return true;
}

/** @param {unknown} value @returns {string} */
function messageId(value) {
  return text({ id: value }, 'id', MAX_ID_LENGTH);
}

/** @param {unknown} value @returns {[string, number]} */
function digestEntry(value) {
  if (!Array.isArray(value) || value.length !== 2) bad('"have" entries must be [origin, seq] pairs');
  /** @type {Fields} */
  const fields = { origin: value[0], seq: value[1] };
  return [text(fields, 'origin', MAX_ID_LENGTH), count(fields, 'seq')];
}

/** URLs that passed `listenUrl` lately (links records repeat the same ones; URL parsing is costly). */
const validUrls = new Set();
const VALID_URLS_KEPT = 8192;

/**
 * A ws:// or wss:// URL with a host, as the node will later parse it to dial back.
 * @param {unknown} value @returns {string}
 */
function listenUrl(value) {
  if (typeof value === 'string' && validUrls.has(value)) return value;
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !/^wss?:\/\//.test(value) || !URL.canParse(value)) {
    bad(`"listen" entries must be ws:// URLs of at most ${MAX_URL_LENGTH} characters`);
  }
  if (new URL(value).hostname === '') bad('"listen" entries must name a host');
  if (validUrls.size >= VALID_URLS_KEPT) validUrls.clear();
  validUrls.add(value);
  return value;
}

/**
 * Validates a parsed JSON object as a mesh message; returns null for an unknown `t` (ignored, for forward
 * compatibility). Throws a WireError (close code BadMessage) naming the first bad field.
 * @param {unknown} value
 * @returns {MeshMessage | PeersMessage | null}
 */
export function parseMessage(value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('a mesh message must be a JSON object');
  const fields = /** @type {Fields} */ (value);
  switch (fields.t) {
    case 'welcome':
      return { t: 'welcome' };
    case 'links':
      return {
        t: 'links',
        origin: text(fields, 'origin', MAX_ID_LENGTH),
        boot: text(fields, 'boot', MAX_ID_LENGTH),
        seq: count(fields, 'seq'),
        name: text(fields, 'name', MAX_NAME_LENGTH),
        kind: kind(fields),
        links: list(fields, 'links', MAX_LINK_ENTRIES, linkEntry),
        ...delta(fields),
        ...signature(fields),
      };
    case 'digest':
      return { t: 'digest', have: list(fields, 'have', MAX_DIGEST_ENTRIES, digestEntry), ...(fields.pull === undefined ? {} : { pull: pullFlag(fields) }) };
    case 'ihave':
    case 'graft':
      return { t: fields.t, ids: list(fields, 'ids', MAX_TREE_IDS, messageId) };
    case 'prune':
      return { t: 'prune' };
    case 'msg': {
      const to = fields.to === null || fields.to === undefined ? null : text(fields, 'to', MAX_ID_LENGTH);
      /** @type {AppMessage} */
      const message = {
        t: 'msg',
        id: text(fields, 'id', MAX_ID_LENGTH),
        from: text(fields, 'from', MAX_ID_LENGTH),
        to,
        ttl: count(fields, 'ttl'),
        hops: count(fields, 'hops'),
      };
      if (fields.seq !== undefined) message.seq = count(fields, 'seq');
      if (fields.data !== undefined) {
        if (typeof fields.data !== 'string') bad('field "data" must be a string');
        message.data = fields.data;
      }
      return Object.assign(message, signature(fields));
    }
    case 'ack':
      return {
        t: 'ack',
        id: text(fields, 'id', MAX_ID_LENGTH),
        from: text(fields, 'from', MAX_ID_LENGTH),
        to: text(fields, 'to', MAX_ID_LENGTH),
        ttl: count(fields, 'ttl'),
        ...signature(fields),
      };
    case 'peers':
      return { t: 'peers', peers: list(fields, 'peers', MAX_PEER_ENTRIES, (entry) => /** @type {PeerEntry} */ (entry)) };
    default:
      if (typeof fields.t !== 'string') bad('field "t" must be a string');
      return null;
  }
}

/**
 * @param {string | Uint8Array} source @param {FrameBytes} platform @param {number} [start] @param {number} [end]
 * @returns {unknown}
 */
function parseJson(source, platform, start = 0, end = source.length) {
  try {
    return JSON.parse(typeof source === 'string' ? source : platform.text(source, start, end));
  } catch {
    return bad('not valid JSON');
  }
}

/** @param {Uint8Array} bytes @returns {number} */
function headerLengthOf(bytes) {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

/**
 * Decodes one mesh message as the link's transport delivered it (text: a string or its UTF-8 bytes; binary: the
 * frame's bytes). Returns null for messages of an unknown type; throws a WireError (BadMessage) for a broken one.
 * The payload of a binary message is a view into `data`, not a copy.
 * @param {string | Uint8Array} data @param {boolean} isBinary @param {FrameBytes} [platform]
 * @returns {WireFrame | null}
 */
export function decodeFrame(data, isBinary, platform = plainBytes) {
  if (!isBinary) {
    const message = parseMessage(parseJson(data, platform));
    if (message?.t === 'msg' && message.data === undefined) bad('a text application message needs "data"');
    return message && { message };
  }
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  if (bytes.length < 4) bad('binary frame shorter than its header length');
  const headerLength = headerLengthOf(bytes);
  if (headerLength > bytes.length - 4) bad(`binary header length ${headerLength} exceeds the frame`);
  const message = parseMessage(parseJson(bytes, platform, 4, 4 + headerLength));
  if (message === null) return null;
  if (message.t !== 'msg' || message.data !== undefined) bad('a binary frame must carry an application message without "data"');
  return { message, payload: bytes.subarray(4 + headerLength) };
}

/** Where headers are encoded before their length is known (reused: a header is copied out at once). */
let scratch = new Uint8Array(1024);
const SCRATCH_KEPT = 64 * 1024;

/** The UTF-8 of `json`, in `scratch` when it fits there. @param {string} json @returns {Uint8Array} */
function headerBytes(json) {
  if (json.length * 3 > scratch.length) {
    if (json.length * 3 > SCRATCH_KEPT) return encoder.encode(json);
    scratch = new Uint8Array(SCRATCH_KEPT);
  }
  return scratch.subarray(0, encoder.encodeInto(json, scratch).written);
}

/**
 * A binary frame: the header's JSON behind its 4-byte big-endian length, then the payload.
 * @param {object} header an application message without `data` @param {Uint8Array} payload
 * @param {FrameBytes} [platform]
 * @returns {Uint8Array}
 */
export function binaryFrame(header, payload, platform = plainBytes) {
  const json = headerBytes(JSON.stringify(header));
  const length = json.length;
  const frame = platform.alloc(4 + length + payload.byteLength);
  frame[0] = length >>> 24;
  frame[1] = (length >>> 16) & 0xff;
  frame[2] = (length >>> 8) & 0xff;
  frame[3] = length & 0xff;
  frame.set(json, 4);
  frame.set(payload, 4 + length);
  return frame;
}

/**
 * Encodes an application message: text data inline as JSON (`data` last), binary data behind a JSON header.
 * @param {Omit<AppMessage, 'data'>} message @param {string | Uint8Array} data @param {FrameBytes} [platform]
 * @returns {string | Uint8Array}
 */
export function encodeApp(message, data, platform = plainBytes) {
  if (typeof data === 'string') return JSON.stringify({ ...message, data });
  return binaryFrame(message, data, platform);
}

/**
 * Encodes every message but application messages: the one place outgoing control messages are serialised.
 * @param {ControlMessage | PeersMessage} message
 * @returns {string}
 */
export function encodeControl(message) {
  return JSON.stringify(message);
}

/**
 * A signed message as it travels: JSON text, or with `payload` (an application message's binary data) a binary
 * frame. The page signs a message before it encodes it, so it keeps the message and its payload apart.
 * @param {AppMessage | AckMessage} message @param {Uint8Array} [payload]
 * @returns {string | Uint8Array}
 */
export function encodeMessage(message, payload) {
  return payload === undefined ? JSON.stringify(message) : binaryFrame(message, payload);
}

/**
 * An application message and its payload apart (see {@link encodeMessage}): text data goes into `data`, binary
 * data stays the payload.
 * @param {Omit<AppMessage, 'data'>} header @param {string | Uint8Array} data
 * @returns {{ message: AppMessage, payload: Uint8Array | undefined }}
 */
export function appMessage(header, data) {
  return typeof data === 'string' ? { message: { ...header, data }, payload: undefined } : { message: header, payload: data };
}

/**
 * A links record of a node (see {@link LinksMessage}).
 * @param {string} origin @param {string} boot @param {number} seq @param {string} name @param {LinkEntry[]} links
 * @returns {LinksMessage}
 */
export function linksRecord(origin, boot, seq, name, links) {
  return { t: 'links', origin, boot, seq, name, kind: 'node', links };
}

/**
 * A delta links record (see {@link LinksMessage}): the entries added or changed since record `base`, and the ids gone.
 * @param {string} origin @param {string} boot @param {number} seq @param {string} name @param {number} base
 * @param {LinkEntry[]} links @param {string[]} gone
 * @returns {LinksMessage}
 */
export function linksDelta(origin, boot, seq, name, base, links, gone) {
  return { t: 'links', origin, boot, seq, name, kind: 'node', links, base, gone };
}

/**
 * The whole list of a record after a delta: `known` (the origin's record `delta.base`) with the delta applied. A
 * full record (no `base`) is its own list.
 * @param {LinkEntry[]} known @param {LinksMessage} delta @returns {LinkEntry[]}
 */
export function applyLinksDelta(known, delta) {
  if (delta.base === undefined) return delta.links;
  const changed = new Set(delta.gone);
  for (const entry of delta.links) changed.add(entry.id);
  return [...known.filter((entry) => !changed.has(entry.id)), ...delta.links];
}

/** @param {string[]} ids @returns {IhaveMessage} */
export function ihaveMessage(ids) {
  return { t: 'ihave', ids };
}

/** @param {string[]} ids @returns {GraftMessage} */
export function graftMessage(ids) {
  return { t: 'graft', ids };
}

/** @returns {PruneMessage} */
export function pruneMessage() {
  return { t: 'prune' };
}

/**
 * An acknowledgement of direct message `id` from `from` back to its sender `to`.
 * @param {string} id @param {string} from @param {string} to @param {number} ttl @returns {AckMessage}
 */
export function ackMessage(id, from, to, ttl) {
  return { t: 'ack', id, from, to, ttl };
}

/**
 * The digest a node sends on a new link, or to pull the records since a missing base (see {@link DigestMessage}).
 * @param {Array<[string, number]>} have @param {boolean} [pull] @returns {DigestMessage}
 */
export function digestMessage(have, pull = false) {
  return pull ? { t: 'digest', have, pull: true } : { t: 'digest', have };
}

/**
 * The origin of a signed message: whose key must sign it (`origin` of a links record, `from` otherwise).
 * @param {SignedMessage} message @returns {string}
 */
export function signedBy(message) {
  return message.t === 'links' ? message.origin : message.from;
}
