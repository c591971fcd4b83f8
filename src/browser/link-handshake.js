// @ts-check
// The browser's side of the wsmesh.v1 opening (the node's side is src/mesh/handshake.ts). The node
// sends its hello first; the browser answers with its own hello (taking the node's mesh name unless
// told otherwise), with a secret both sides send an HMAC proof over both nonces, and the node, always
// the arbiter for a browser, admits the page with welcome.

import { computeProof, randomHex } from './auth-proof.js';
import { MESH_PROTOCOL_VERSION } from './envelope.js';
import { MeshCloseCode } from './close-codes.js';

/** @import { MeshProblem } from './index.js' */
/** @import { HelloMessage, MeshMessage } from './envelope.js' */

/**
 * @typedef {{ id: string, name: string, mesh: string | undefined, secret: string | undefined }} BrowserIdentity
 * @typedef {{ type: 'send', messages: object[] }
 *   | { type: 'fail', closeCode: number, problem: MeshProblem }
 *   | { type: 'established' }} HandshakeStep
 */

/**
 * @param {MeshProblem['code']} code
 * @param {string} message
 * @param {boolean} fatal
 * @returns {MeshProblem}
 */
export function problem(code, message, fatal) {
  return { code, message, fatal };
}

export class LinkHandshake {
  /** @type {'await-hello' | 'await-auth' | 'await-welcome' | 'established' | 'failed'} */
  state = 'await-hello';
  /** @type {HelloMessage | null} the node's hello */
  node = null;
  #nonce = randomHex(16);
  /** @type {string | null} */
  #expectedNodeProof = null;

  /** @param {BrowserIdentity} local */
  constructor(local) {
    this.local = local;
  }

  /**
   * @param {MeshMessage} message
   * @returns {Promise<HandshakeStep>}
   */
  async receive(message) {
    switch (this.state) {
      case 'await-hello':
        if (message.t !== 'hello') return this.#fail(MeshCloseCode.BadMessage, 'protocol-error', `the node sent "${message.t}" before its hello`);
        return this.#onHello(message);
      case 'await-auth':
        if (message.t !== 'auth') return this.#fail(MeshCloseCode.AuthFailed, 'protocol-error', `the node sent "${message.t}" instead of its proof`);
        if (message.proof !== this.#expectedNodeProof) {
          return this.#fail(MeshCloseCode.AuthFailed, 'wrong-secret', 'Wrong secret: the node proved a different one.', true);
        }
        this.state = 'await-welcome';
        return { type: 'send', messages: [] };
      case 'await-welcome':
        if (message.t !== 'welcome') return this.#fail(MeshCloseCode.BadMessage, 'protocol-error', `the node sent "${message.t}" before welcome`);
        this.state = 'established';
        return { type: 'established' };
      default:
        return this.#fail(MeshCloseCode.BadMessage, 'protocol-error', `unexpected "${message.t}" during the handshake`);
    }
  }

  /** @param {HelloMessage} hello @returns {Promise<HandshakeStep>} */
  async #onHello(hello) {
    const { id, name, secret } = this.local;
    if (hello.v !== MESH_PROTOCOL_VERSION) {
      return this.#fail(MeshCloseCode.IncompatibleVersion, 'incompatible-version', `The node speaks wsmesh protocol version ${hello.v}; this page speaks ${MESH_PROTOCOL_VERSION}.`, true);
    }
    if (hello.kind !== 'node') return this.#fail(MeshCloseCode.BadMessage, 'protocol-error', 'the peer is not a node', true);
    if (hello.id === id) return this.#fail(MeshCloseCode.SelfConnection, 'protocol-error', 'the node has the id of this page', true);
    if (hello.auth && secret === undefined) {
      return this.#fail(1000, 'secret-required', `The mesh "${hello.mesh}" needs its secret.`, true);
    }
    this.node = hello;
    const mine = {
      t: 'hello', v: MESH_PROTOCOL_VERSION, id, name, mesh: this.local.mesh ?? hello.mesh, kind: 'browser',
      listen: [], nonce: this.#nonce, auth: hello.auth, boot: randomHex(8),
    };
    if (!hello.auth || secret === undefined) {
      this.state = 'await-welcome';
      return { type: 'send', messages: [mine] };
    }
    const [proof, expected] = await Promise.all([
      computeProof(secret, id, this.#nonce, hello.nonce),
      computeProof(secret, hello.id, hello.nonce, this.#nonce),
    ]);
    this.#expectedNodeProof = expected;
    this.state = 'await-auth';
    return { type: 'send', messages: [mine, { t: 'auth', proof }] };
  }

  /**
   * @param {number} closeCode
   * @param {MeshProblem['code']} code
   * @param {string} message
   * @returns {HandshakeStep}
   */
  #fail(closeCode, code, message, fatal = false) {
    this.state = 'failed';
    return { type: 'fail', closeCode, problem: problem(code, message, fatal) };
  }
}
