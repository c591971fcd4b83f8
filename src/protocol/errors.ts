import { WsmeshError } from '../errors.ts';

/** A violation of RFC 6455 by the peer: the connection is failed with `code` (1002, 1007, 1009, ...). */
export class WsProtocolError extends WsmeshError {
  override readonly name = 'WsProtocolError';
  declare readonly code: number;
  constructor(code: number, message: string) {
    super(code, message);
  }
}

/** An operation that the connection's state does not allow, e.g. sending before it is open (code 'invalid-state'). */
export class WsStateError extends WsmeshError {
  override readonly name = 'WsStateError';
  declare readonly code: 'invalid-state';
  constructor(message: string) {
    super('invalid-state', message);
  }
}

/** The opening handshake failed (code 'handshake-failed'). `status` is the HTTP status involved, when there is one. */
export class WsHandshakeError extends WsmeshError {
  override readonly name = 'WsHandshakeError';
  declare readonly code: 'handshake-failed';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super('handshake-failed', message);
  }
}

/** A configured limit was hit (e.g. a peer that does not read); `code` is the close code that was sent. */
export class WsLimitError extends WsmeshError {
  override readonly name = 'WsLimitError';
  declare readonly code: number;
  constructor(code: number, message: string) {
    super(code, message);
  }
}
