// @ts-check
/**
 * Checks of the fields of JSON messages from a peer (the hello in the handshake, the mesh envelope), each failure a
 * WireError with close code BadMessage naming the field; `what` prefixes the message (e.g. 'hello ').
 */
import { MeshCloseCode } from './constants.js';
import { WireError } from './errors.js';

/** @import { PeerKind } from './hello.js' */
/** @typedef {Record<string, unknown>} Fields */

/** @param {string} message @returns {never} */
export function bad(message) {
  throw new WireError(MeshCloseCode.BadMessage, message);
}

/** @param {Fields} fields @param {string} key @param {number} maxLength @param {string} [what] @returns {string} */
export function text(fields, key, maxLength, what = '') {
  const value = fields[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    bad(`${what}field "${key}" must be a string of 1..${maxLength} characters`);
  }
  return value;
}

/** @param {Fields} fields @param {string} [what] @returns {PeerKind} */
export function kind(fields, what = '') {
  const value = fields.kind;
  if (value !== 'node' && value !== 'browser') bad(`${what}field "kind" must be "node" or "browser"`);
  return value;
}

/**
 * @template T
 * @param {Fields} fields @param {string} key @param {number} maxLength @param {(value: unknown) => T} item
 * @param {string} [what]
 * @returns {T[]}
 */
export function list(fields, key, maxLength, item, what = '') {
  const value = fields[key];
  if (!Array.isArray(value) || value.length > maxLength) bad(`${what}field "${key}" must be an array of at most ${maxLength}`);
  return value.map(item);
}
