import { isUtf8 } from 'node:buffer';
import { CloseCode, MAX_CLOSE_REASON_BYTES, isValidWireCloseCode } from './constants.ts';
import { WsProtocolError } from './errors.ts';

export interface CloseInfo {
  code: number;
  reason: string;
}

const EMPTY = Buffer.alloc(0);

/** Validates what a local caller asked to send and encodes the close payload (empty without a code). */
export function encodeClosePayload(code: number | undefined, reason = ''): Buffer {
  if (code === undefined) {
    if (reason === '') return EMPTY;
    code = CloseCode.Normal;
  }
  if (!isValidWireCloseCode(code)) {
    throw new RangeError(`invalid close code ${code}: use 1000-1003, 1007-1014 or 3000-4999`);
  }
  const reasonLength = Buffer.byteLength(reason);
  if (reasonLength > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason is ${reasonLength} bytes; at most ${MAX_CLOSE_REASON_BYTES} are allowed`);
  }
  const payload = Buffer.allocUnsafe(2 + reasonLength);
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** Parses a received close payload (RFC 6455 section 5.5.1); an empty one means 1005, no status. */
export function parseClosePayload(payload: Buffer): CloseInfo {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: '' };
  if (payload.length === 1) {
    throw new WsProtocolError(CloseCode.ProtocolError, 'close frame payload of 1 byte: a status code needs 2');
  }
  const code = payload.readUInt16BE(0);
  if (!isValidWireCloseCode(code)) {
    throw new WsProtocolError(CloseCode.ProtocolError, `invalid close code ${code} received`);
  }
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw new WsProtocolError(CloseCode.InvalidPayload, 'close reason is not valid UTF-8');
  return { code, reason: reason.toString('utf8') };
}
