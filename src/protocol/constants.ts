export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Close codes of RFC 6455 section 7.4.1 and the IANA registry. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never on the wire: the close frame carried no status code. */
  NoStatus: 1005,
  /** Never on the wire: the connection dropped without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;

export const MAX_CONTROL_PAYLOAD = 125;
export const MAX_CLOSE_REASON_BYTES = 123;
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;
/** Each fragment of a fragmented message counts at least this many bytes against maxPayload (a flood of tiny fragments ends with 1009). */
export const FRAGMENT_COST = 64;

/**
 * Whether a close code may appear in a close frame: 1000-1003, 1007-1014 (1012-1014 are
 * registered with IANA after RFC 6455) and 3000-4999 for libraries and applications.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
