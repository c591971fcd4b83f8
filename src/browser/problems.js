// @ts-check
// What a failure means for the page: a MeshProblem with a sentence for the user.
import { MeshCloseCode } from '../wire/constants.js';

/** @import { MeshProblem } from './types.js' */

/**
 * @param {MeshProblem['code']} code
 * @param {string} message
 * @param {boolean} fatal
 * @returns {MeshProblem}
 */
export function problem(code, message, fatal) {
  return { code, message, fatal };
}

/**
 * What a close of the connection means for the page.
 * @param {number} code
 * @param {string} reason
 * @param {boolean} wasOpen whether the link had been established
 * @returns {MeshProblem}
 */
export function problemForClose(code, reason, wasOpen) {
  const because = reason ? `: ${reason}` : '';
  const fields = { closeCode: code };
  switch (code) {
    case MeshCloseCode.AuthFailed:
      return { ...fields, code: 'wrong-secret', message: `Wrong secret, or the node's identity proof failed (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.WrongMesh:
      return { ...fields, code: 'wrong-mesh', message: `The node belongs to another mesh (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.IncompatibleVersion:
      return { ...fields, code: 'incompatible-version', message: `The node speaks another protocol version (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.TooManyPeers:
      return { ...fields, code: 'too-many-peers', message: `The node has no room for more peers (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.Duplicate:
      return { ...fields, code: 'duplicate', message: `Another connection with this identity replaced this one (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.HandshakeTimeout:
      return { ...fields, code: 'handshake-timeout', message: `The handshake took too long (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.BadMessage:
    case MeshCloseCode.SelfConnection:
      return { ...fields, code: 'protocol-error', message: `The connection was closed for a protocol error (close code ${code}${because}).`, fatal: false };
    default:
      if (!wasOpen) return { ...fields, code: 'unreachable', message: `Could not connect to the node (close code ${code}${because}).`, fatal: false };
      return { ...fields, code: 'connection-lost', message: `Lost the connection to the node (close code ${code}${because}).`, fatal: false };
  }
}
