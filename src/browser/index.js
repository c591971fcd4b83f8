// @ts-check
// wsmesh/browser: a web page joins a wsmesh mesh as a browser peer, through one node, over the browser's
// native WebSocket (subprotocol wsmesh.v2): a Noise XXpsk3 link, signed messages, an Ed25519 identity.
export { connectMesh, MeshClientError } from './mesh-client.js';
export { MeshCloseCode } from '../wire/constants.js';
export { ephemeralIdentityKey, loadIdentityKey } from './identity-key.js';

/**
 * @typedef {import('./types.js').ConnectOptions} ConnectOptions
 * @typedef {import('./types.js').ConnectionState} ConnectionState
 * @typedef {import('./types.js').ConnectionStatus} ConnectionStatus
 * @typedef {import('./types.js').CryptoInfo} CryptoInfo
 * @typedef {import('./types.js').IdentityKey} IdentityKey
 * @typedef {import('./types.js').MeshClient} MeshClient
 * @typedef {import('./types.js').MeshClientErrorCode} MeshClientErrorCode
 * @typedef {import('./types.js').MeshClientEvents} MeshClientEvents
 * @typedef {import('./types.js').MeshPeer} MeshPeer
 * @typedef {import('./types.js').MeshProblem} MeshProblem
 * @typedef {import('./types.js').MeshProblemCode} MeshProblemCode
 * @typedef {import('./types.js').MessageInfo} MessageInfo
 * @typedef {import('./types.js').NodeInfo} NodeInfo
 * @typedef {import('./types.js').PeerKind} PeerKind
 * @typedef {import('./types.js').PeerState} PeerState
 * @typedef {import('./types.js').ReconnectOptions} ReconnectOptions
 */
