import { MeshCloseCode, MeshProtocolError } from './close-codes.ts';
import { nodeCrypto } from './node-crypto.ts';
import { signMessage, signatureProblem } from '../wire/signing.js';
import type { Identity } from '../wire/identity.js';

/** The WebSocket subprotocol (wsmesh.v2) and the version in hello and discovery: shared with browser peers. */
export { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from '../wire/constants.js';

export type PeerKind = 'node' | 'browser';

export interface HelloMessage {
  t: 'hello';
  v: number;
  id: string;
  name: string;
  mesh: string;
  kind: PeerKind;
  /** ws:// URLs the sender accepts connections on (empty for browsers). */
  listen: string[];
  /** Fresh random hex for the challenge-response. */
  nonce: string;
  /** Whether the sender has a secret and requires the peer to prove it. */
  auth: boolean;
  /** Random per process start: tells a restarted peer from a duplicate connection. */
  boot: string;
}
export interface AuthMessage {
  t: 'auth';
  proof: string;
}
export interface WelcomeMessage {
  t: 'welcome';
}
export interface LinkEntry {
  id: string;
  name: string;
  kind: PeerKind;
  /** Where the record's origin reaches this neighbour (nodes only): others may dial it there when a slot is free. */
  url?: string;
}
/**
 * A node's current list of neighbours, flooded through the mesh (newest `seq` per origin wins). Issued only when
 * the origin's links change; `boot` names the origin's incarnation, so that a node can tell an echo of its current
 * record (ignored) from a record of its previous run (superseded by a fresh one).
 */
export interface LinksMessage {
  t: 'links';
  origin: string;
  boot: string;
  seq: number;
  name: string;
  kind: PeerKind;
  links: LinkEntry[];
  key?: string;
  sig?: string;
}
/**
 * Sent once on a new node-to-node link: the `[origin, seq]` of every links record the sender holds (its own
 * included). The receiver answers with only the records the sender lacks or holds older, instead of all of them.
 */
export interface DigestMessage {
  t: 'digest';
  have: Array<[origin: string, seq: number]>;
}
/**
 * Broadcast tree repair (Plumtree's lazy push): ids of broadcasts the sender received, told to a neighbour it
 * does not push them to. A neighbour that misses one of them asks for it with `graft`.
 */
export interface IhaveMessage {
  t: 'ihave';
  ids: string[];
}
/** Sends these broadcasts (that the receiver announced with `ihave`), and push broadcasts on this link from now. */
export interface GraftMessage {
  t: 'graft';
  ids: string[];
}
/** The receiver got a broadcast twice, once over this link: stop pushing broadcasts here (announce them lazily). */
export interface PruneMessage {
  t: 'prune';
}
/** Application message; `to: null` is a broadcast. Binary data travels in a binary frame, text in `data`. */
export interface AppMessage {
  t: 'msg';
  id: string;
  from: string;
  to: string | null;
  ttl: number;
  hops: number;
  /** The origin's message counter (replay protection per origin, see replay-window.ts). */
  seq?: number;
  data?: string;
  /** The origin's identity key and signature (see {@link signEnvelope}); required on receipt. */
  key?: string;
  sig?: string;
}
/** Acknowledges a direct message to its sender. */
export interface AckMessage {
  t: 'ack';
  id: string;
  from: string;
  to: string;
  ttl: number;
  key?: string;
  sig?: string;
}
/** Node to browser peer: the node's peer table (browsers do not follow `links`); nodes ignore it. */
export interface PeersMessage {
  t: 'peers';
  peers: Array<{
    id: string;
    name: string;
    kind: PeerKind;
    state: string;
    direction: 'inbound' | 'outbound' | null;
    reachable: boolean;
    via: string | null;
    hops: number | null;
    /** Smoothed RTT from the node, ms. */
    rtt: number | null;
  }>;
}
export type TreeMessage = IhaveMessage | GraftMessage | PruneMessage;
export type ControlMessage = HelloMessage | AuthMessage | WelcomeMessage | LinksMessage | DigestMessage | AckMessage | TreeMessage;
export type MeshMessage = ControlMessage | AppMessage;

export interface DecodedFrame {
  message: MeshMessage;
  /** The payload of a binary application message. */
  payload?: Buffer;
}

/** Limits of the fields of mesh messages, in characters (ids, nonces, proofs; names, meshes) or entries. */
export const MAX_ID_LENGTH = 128;
export const MAX_NAME_LENGTH = 256;
export const MAX_LISTEN_URLS = 32;
export const MAX_URL_LENGTH = 512;
export const MAX_LINK_ENTRIES = 4096;
/** Longest `key` / `sig` field (base64url of 32 / 64 bytes is 43 / 86 characters). */
const MAX_SIGNATURE_FIELD = 128;
/** Most entries of a `digest` (a node keeps at most 1024 records, plus its own). */
export const MAX_DIGEST_ENTRIES = 1025;
/** Most broadcast ids in one `ihave` or `graft`. */
export const MAX_TREE_IDS = 1024;

function bad(message: string): never {
  throw new MeshProtocolError(MeshCloseCode.BadMessage, message);
}

type Fields = Record<string, unknown>;

function text(fields: Fields, key: string, maxLength: number): string {
  const value = fields[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    bad(`field "${key}" must be a string of 1..${maxLength} characters`);
  }
  return value;
}

function count(fields: Fields, key: string): number {
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    bad(`field "${key}" must be a non-negative integer`);
  }
  return value;
}

function flag(fields: Fields, key: string): boolean {
  const value = fields[key];
  if (typeof value !== 'boolean') bad(`field "${key}" must be true or false`);
  return value;
}

function kind(fields: Fields): PeerKind {
  const value = fields.kind;
  if (value !== 'node' && value !== 'browser') bad('field "kind" must be "node" or "browser"');
  return value;
}

function linkEntry(value: unknown): LinkEntry {
  if (typeof value !== 'object' || value === null) bad('"links" entries must be objects');
  const fields = value as Fields;
  const entry: LinkEntry = { id: text(fields, 'id', MAX_ID_LENGTH), name: text(fields, 'name', MAX_NAME_LENGTH), kind: kind(fields) };
  if (fields.url !== undefined) entry.url = listenUrl(fields.url);
  return entry;
}

function list<T>(fields: Fields, key: string, maxLength: number, item: (value: unknown) => T): T[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.length > maxLength) bad(`field "${key}" must be an array of at most ${maxLength}`);
  return value.map(item);
}

/** The `key` and `sig` of a signed message, when present (their check is {@link envelopeSignatureProblem}'s). */
function signature(fields: Fields): { key?: string; sig?: string } {
  const out: { key?: string; sig?: string } = {};
  if (fields.key !== undefined) out.key = text(fields, 'key', MAX_SIGNATURE_FIELD);
  if (fields.sig !== undefined) out.sig = text(fields, 'sig', MAX_SIGNATURE_FIELD);
  return out;
}

function messageId(value: unknown): string {
  return text({ id: value }, 'id', MAX_ID_LENGTH);
}

function digestEntry(value: unknown): [string, number] {
  if (!Array.isArray(value) || value.length !== 2) bad('"have" entries must be [origin, seq] pairs');
  const fields: Fields = { origin: value[0], seq: value[1] };
  return [text(fields, 'origin', MAX_ID_LENGTH), count(fields, 'seq')];
}

/** URLs that passed `listenUrl` lately (links records repeat the same ones; URL parsing is costly). */
const validUrls = new Set<string>();
const VALID_URLS_KEPT = 8192;

/** A ws:// or wss:// URL with a host, as the node will later parse it to dial back. */
function listenUrl(value: unknown): string {
  if (typeof value === 'string' && validUrls.has(value)) return value;
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !/^wss?:\/\//.test(value) || !URL.canParse(value)) {
    bad(`"listen" entries must be ws:// URLs of at most ${MAX_URL_LENGTH} characters`);
  }
  if (new URL(value).hostname === '') bad('"listen" entries must name a host');
  if (validUrls.size >= VALID_URLS_KEPT) validUrls.clear();
  validUrls.add(value);
  return value;
}

/** Validates a parsed JSON object as a mesh message; returns null for an unknown `t` (ignored, for forward compatibility). */
export function parseMessage(value: unknown): MeshMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('a mesh message must be a JSON object');
  const fields = value as Fields;
  switch (fields.t) {
    case 'hello':
      return {
        t: 'hello',
        v: count(fields, 'v'),
        id: text(fields, 'id', MAX_ID_LENGTH),
        name: text(fields, 'name', MAX_NAME_LENGTH),
        mesh: text(fields, 'mesh', MAX_NAME_LENGTH),
        kind: kind(fields),
        listen: list(fields, 'listen', MAX_LISTEN_URLS, listenUrl),
        nonce: text(fields, 'nonce', MAX_ID_LENGTH),
        auth: flag(fields, 'auth'),
        boot: text(fields, 'boot', MAX_ID_LENGTH),
      };
    case 'auth':
      return { t: 'auth', proof: text(fields, 'proof', MAX_ID_LENGTH) };
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
        ...signature(fields),
      };
    case 'digest':
      return { t: 'digest', have: list(fields, 'have', MAX_DIGEST_ENTRIES, digestEntry) };
    case 'ihave':
    case 'graft':
      return { t: fields.t, ids: list(fields, 'ids', MAX_TREE_IDS, messageId) };
    case 'prune':
      return { t: 'prune' };
    case 'msg': {
      const to = fields.to === null || fields.to === undefined ? null : text(fields, 'to', MAX_ID_LENGTH);
      const message: AppMessage = {
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
    default:
      if (typeof fields.t !== 'string') bad('field "t" must be a string');
      return null;
  }
}

function parseJson(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch {
    return bad('not valid JSON');
  }
}

/**
 * Decodes one WebSocket message. Text: one JSON object. Binary: a 4-byte big-endian header length,
 * that many bytes of JSON header (an application message without `data`), then the payload.
 * Returns null for messages of an unknown type.
 */
export function decodeFrame(data: string | Buffer, isBinary: boolean): DecodedFrame | null {
  if (!isBinary) {
    const message = parseMessage(parseJson(typeof data === 'string' ? data : data.toString('utf8')));
    if (message?.t === 'msg' && message.data === undefined) bad('a text application message needs "data"');
    return message && { message };
  }
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (bytes.length < 4) bad('binary frame shorter than its header length');
  const headerLength = bytes.readUInt32BE(0);
  if (headerLength > bytes.length - 4) bad(`binary header length ${headerLength} exceeds the frame`);
  const message = parseMessage(parseJson(bytes.toString('utf8', 4, 4 + headerLength)));
  if (message === null) return null;
  if (message.t !== 'msg' || message.data !== undefined) bad('a binary frame must carry an application message without "data"');
  return { message, payload: bytes.subarray(4 + headerLength) };
}

/** Encodes an application message: text data inline as JSON, binary data behind a JSON header. */
export function encodeApp(message: Omit<AppMessage, 'data'>, data: string | Uint8Array): string | Buffer {
  if (typeof data === 'string') return JSON.stringify({ ...message, data });
  const header = Buffer.from(JSON.stringify(message));
  const frame = Buffer.allocUnsafe(4 + header.length + data.byteLength);
  frame.writeUInt32BE(header.length, 0);
  header.copy(frame, 4);
  frame.set(data, 4 + header.length);
  return frame;
}

/** Encodes every message but application messages: the one place outgoing control messages are serialised. */
export function encodeControl(message: ControlMessage | PeersMessage): string {
  return JSON.stringify(message);
}

/** This node's links record (see {@link LinksMessage}). */
export function linksRecord(origin: string, boot: string, seq: number, name: string, links: LinkEntry[]): LinksMessage {
  return { t: 'links', origin, boot, seq, name, kind: 'node', links };
}

export function ihaveMessage(ids: string[]): IhaveMessage {
  return { t: 'ihave', ids };
}

export function graftMessage(ids: string[]): GraftMessage {
  return { t: 'graft', ids };
}

export function pruneMessage(): PruneMessage {
  return { t: 'prune' };
}

/** An acknowledgement of direct message `id` from `from` back to its sender `to`. */
export function ackMessage(id: string, from: string, to: string, ttl: number): AckMessage {
  return { t: 'ack', id, from, to, ttl };
}

/** The digest a node sends on a new link (see {@link DigestMessage}). */
export function digestMessage(have: Array<[string, number]>): DigestMessage {
  return { t: 'digest', have };
}

/** Messages signed by their origin: every node verifies them before relaying or delivering. */
export type SignedMessage = AppMessage | AckMessage | LinksMessage;

/**
 * Signs a message as its origin (this node): adds `key` and `sig`; `payload` is a binary message's data. The one
 * place the node signs; the canonical form is src/wire/signing.js (shared with browser peers).
 */
export function signEnvelope<T extends SignedMessage>(identity: Identity, message: T, payload?: Uint8Array): T {
  return signMessage(nodeCrypto, identity, message as T & Record<string, unknown>, payload);
}

/** Why a signed message does not verify (its key must be its origin's, `from` or `origin`), or null when it does. */
export function envelopeSignatureProblem(message: SignedMessage, payload?: Uint8Array): string | null {
  const origin = message.t === 'links' ? message.origin : message.from;
  return signatureProblem(nodeCrypto, message as unknown as Record<string, unknown>, origin, payload);
}
