/** A violation of RFC 6455 by the peer: the connection is failed with `code` (1002, 1007, 1009, ...). */
export class WsProtocolError extends Error {
  override readonly name = 'WsProtocolError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** An operation that the connection's state does not allow, e.g. sending after the close frame. */
export class WsStateError extends Error {
  override readonly name = 'WsStateError';
}

/** The opening handshake failed. `status` is the HTTP status involved, when there is one. */
export class WsHandshakeError extends Error {
  override readonly name = 'WsHandshakeError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A configured limit was hit (e.g. a peer that does not read); `code` is the close code that was sent. */
export class WsLimitError extends Error {
  override readonly name = 'WsLimitError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
