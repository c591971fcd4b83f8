import { WsmeshError } from '../errors.ts';
import { MAX_CLOSE_REASON_BYTES } from '../protocol/constants.ts';
import { truncateUtf8 } from '../protocol/utf8.ts';

/**
 * WebSocket close codes of the wsmesh.v1 protocol (RFC 6455 reserves 4000-4999 for applications).
 * Every one of them is sent before any application message was accepted on the connection,
 * except `Duplicate`, which may also replace a connection of a peer that restarted.
 */
export const MeshCloseCode = {
  /** A message that is not valid wsmesh.v1, or an application message before the handshake finished. */
  BadMessage: 4000,
  /** Shared-secret challenge-response failed, or only one side has a secret. */
  AuthFailed: 4001,
  /** The peers belong to different meshes. */
  WrongMesh: 4002,
  /** The peers speak incompatible protocol versions. */
  IncompatibleVersion: 4003,
  /** The node reached itself (same id on both ends). The dialer never dials that address again. */
  SelfConnection: 4004,
  /** The handshake (hello, auth, welcome) did not finish in time. */
  HandshakeTimeout: 4005,
  /** The node already has `maxPeers` connections. */
  TooManyPeers: 4008,
  /** The pair already has a connection; this one is closed (or an older one is replaced). */
  Duplicate: 4009,
} as const;
export type MeshCloseCode = (typeof MeshCloseCode)[keyof typeof MeshCloseCode];

/** Codes after which redialing soon would only be refused again: the dialer waits the maximum backoff. */
export function isRefusal(code: number): boolean {
  return (
    code === MeshCloseCode.AuthFailed ||
    code === MeshCloseCode.WrongMesh ||
    code === MeshCloseCode.IncompatibleVersion ||
    code === MeshCloseCode.TooManyPeers
  );
}

/** Close reasons carry at most 123 bytes of UTF-8 (RFC 6455 section 5.5); longer texts are cut at a character boundary. */
export function closeReason(text: string): string {
  return truncateUtf8(text, MAX_CLOSE_REASON_BYTES);
}

/** A violation of the mesh protocol by the peer; the connection is closed with `code`. */
export class MeshProtocolError extends WsmeshError {
  override readonly name = 'MeshProtocolError';
  declare readonly code: MeshCloseCode;
  constructor(code: MeshCloseCode, message: string) {
    super(code, message);
  }
}
