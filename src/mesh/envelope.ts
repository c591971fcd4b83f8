import { isUtf8 } from 'node:buffer';
import { MeshProtocolError } from './close-codes.ts';
import type { MeshCloseCode } from './close-codes.ts';
import { nodeCrypto } from './node-crypto.ts';
import { signMessage, signatureProblem } from '../wire/signing.js';
import { WireError } from '../wire/errors.js';
import * as wire from '../wire/envelope.js';
import type { AppMessage, MeshMessage, SignedMessage } from '../wire/envelope.js';
import type { Identity } from '../wire/identity.js';

/**
 * The mesh message envelope lives once, in src/wire/envelope.js (shared with browser peers): types, field
 * validation and limits, frame encoding and the builders. This file is its Node edge: Buffers in and out, and
 * the wire's WireError turned into the public MeshProtocolError.
 */

/** The WebSocket subprotocol (wsmesh.v2) and the version in hello and discovery: shared with browser peers. */
export { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from '../wire/constants.js';
export {
  MAX_DIGEST_ENTRIES,
  MAX_ID_LENGTH,
  MAX_LINK_ENTRIES,
  MAX_LISTEN_URLS,
  MAX_NAME_LENGTH,
  MAX_TREE_IDS,
  MAX_URL_LENGTH,
  ackMessage,
  applyLinksDelta,
  digestMessage,
  encodeControl,
  graftMessage,
  ihaveMessage,
  linksDelta,
  linksRecord,
  pruneMessage,
} from '../wire/envelope.js';
export type {
  AckMessage,
  AppMessage,
  ControlMessage,
  DigestMessage,
  GraftMessage,
  IhaveMessage,
  LinkEntry,
  LinksMessage,
  MeshMessage,
  PeersMessage,
  PruneMessage,
  SignedMessage,
  TreeMessage,
} from '../wire/envelope.js';
export type { PeerKind } from '../wire/hello.js';

export interface DecodedFrame {
  message: MeshMessage;
  /** The payload of a binary application message (a view into the received frame). */
  payload?: Buffer;
}

/**
 * Buffer's pooled allocation and native UTF-8 decoding, as strict as the page's: invalid bytes decode to U+FFFD,
 * and only then (rare: a legitimate U+FFFD) are the bytes checked.
 */
const nodeBytes: wire.FrameBytes = {
  alloc: (length) => Buffer.allocUnsafe(length),
  text(bytes, start, end) {
    const buffer = bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = buffer.toString('utf8', start, end);
    if (text.includes('\ufffd') && !isUtf8(buffer.subarray(start, end))) throw new TypeError('not UTF-8');
    return text;
  },
};

function meshError(error: unknown): unknown {
  return error instanceof WireError ? new MeshProtocolError(error.code as MeshCloseCode, error.message) : error;
}

/** Validates a parsed JSON object as a mesh message (see src/wire/envelope.js); null for an unknown `t`. */
export function parseMessage(value: unknown): MeshMessage | null {
  let message;
  try {
    message = wire.parseMessage(value);
  } catch (error) {
    throw meshError(error);
  }
  return message?.t === 'peers' ? null : message;
}

/**
 * Decodes one WebSocket message (see src/wire/envelope.js). Returns null for messages of an unknown type and for
 * `peers` (a node's table for its browser peers: nodes ignore it); throws a MeshProtocolError for a broken one.
 */
export function decodeFrame(data: string | Buffer, isBinary: boolean): DecodedFrame | null {
  let frame;
  try {
    frame = wire.decodeFrame(data, isBinary, nodeBytes);
  } catch (error) {
    throw meshError(error);
  }
  if (frame === null || frame.message.t === 'peers') return null;
  // A Buffer's subarray is a Buffer already; a string given as a binary frame was encoded into a Uint8Array.
  const { payload } = frame;
  if (payload !== undefined && !(payload instanceof Buffer)) frame.payload = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return frame as DecodedFrame;
}

/** Encodes an application message: text data inline as JSON, binary data behind a JSON header (see the wire). */
export function encodeApp(message: Omit<AppMessage, 'data'>, data: string | Uint8Array): string | Buffer {
  return wire.encodeApp(message, data, nodeBytes) as string | Buffer;
}

/**
 * Signs a message as its origin (this node): adds `key` and `sig`; `payload` is a binary message's data. The one
 * place the node signs; the canonical form is src/wire/signing.js (shared with browser peers).
 */
export function signEnvelope<T extends SignedMessage>(identity: Identity, message: T, payload?: Uint8Array): T {
  return signMessage(nodeCrypto, identity, message as T & Record<string, unknown>, payload);
}

/** Why a signed message does not verify (its key must be its origin's, `from` or `origin`), or null when it does. */
export function envelopeSignatureProblem(message: SignedMessage, payload?: Uint8Array): string | null {
  return signatureProblem(nodeCrypto, message as unknown as Record<string, unknown>, wire.signedBy(message), payload);
}
