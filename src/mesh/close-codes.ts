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
  const MAX_BYTES = 123;
  if (Buffer.byteLength(text) <= MAX_BYTES) return text;
  const cut = Buffer.from(text).subarray(0, MAX_BYTES).toString();
  return cut.endsWith('\ufffd') ? cut.slice(0, -1) : cut;
}

/** A violation of the mesh protocol by the peer; the connection is closed with `code`. */
export class MeshProtocolError extends Error {
  override readonly name = 'MeshProtocolError';
  constructor(
    readonly code: MeshCloseCode,
    message: string,
  ) {
    super(message);
  }
}
