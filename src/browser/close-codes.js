// @ts-check

/** WebSocket close codes of wsmesh.v1 (the node's src/mesh/close-codes.ts). */
export const MeshCloseCode = Object.freeze({
  BadMessage: /** @type {4000} */ (4000),
  AuthFailed: /** @type {4001} */ (4001),
  WrongMesh: /** @type {4002} */ (4002),
  IncompatibleVersion: /** @type {4003} */ (4003),
  SelfConnection: /** @type {4004} */ (4004),
  HandshakeTimeout: /** @type {4005} */ (4005),
  TooManyPeers: /** @type {4008} */ (4008),
  Duplicate: /** @type {4009} */ (4009),
});

/** @import { MeshProblem } from './index.js' */

/**
 * What a close by the node means for the page.
 * @param {number} code
 * @param {string} reason
 * @param {boolean} wasOpen whether the handshake had finished
 * @returns {MeshProblem}
 */
export function problemForClose(code, reason, wasOpen) {
  const because = reason ? `: ${reason}` : '';
  const fields = { closeCode: code };
  switch (code) {
    case MeshCloseCode.AuthFailed:
      return { ...fields, code: 'wrong-secret', message: `Wrong secret: the node refused it (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.WrongMesh:
      return { ...fields, code: 'wrong-mesh', message: `The node belongs to another mesh (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.IncompatibleVersion:
      return { ...fields, code: 'incompatible-version', message: `The node speaks another protocol version (close code ${code}${because}).`, fatal: true };
    case MeshCloseCode.TooManyPeers:
      return { ...fields, code: 'too-many-peers', message: `The node has no room for more peers (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.Duplicate:
      return { ...fields, code: 'duplicate', message: `Another connection with this peer id replaced this one (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.HandshakeTimeout:
      return { ...fields, code: 'handshake-timeout', message: `The handshake took too long (close code ${code}${because}).`, fatal: false };
    case MeshCloseCode.BadMessage:
      return { ...fields, code: 'protocol-error', message: `The node closed the connection for a protocol error (close code ${code}${because}).`, fatal: false };
    default:
      if (!wasOpen) return { ...fields, code: 'unreachable', message: `Could not connect to the node (close code ${code}${because}).`, fatal: false };
      return { ...fields, code: 'connection-lost', message: `Lost the connection to the node (close code ${code}${because}).`, fatal: false };
  }
}
