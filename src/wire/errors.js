// @ts-check
/** A violation of the wire protocol by the peer, or a refusal: the connection closes with `code` (a MeshCloseCode). */
export class WireError extends Error {
  /** @param {number} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'WireError';
    this.code = code;
  }
}
