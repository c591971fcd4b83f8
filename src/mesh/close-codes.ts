import { WsmeshError } from '../errors.ts';
import { MAX_CLOSE_REASON_BYTES } from '../protocol/constants.ts';
import { truncateUtf8 } from '../protocol/utf8.ts';
import { MeshCloseCode } from '../wire/constants.js';

/** The close codes live in the wire module, shared with browser peers. */
export { MeshCloseCode };
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
