// @ts-check
/**
 * The opening of a wsmesh.v2 link and its transport, sans I/O, for nodes and browser peers alike.
 *
 * Handshake (Noise_XXpsk3_25519_ChaChaPoly_SHA256, prologue "wsmesh.v2 noise"; each message one binary
 * WebSocket message; the dialling side is the Noise initiator):
 *   1. initiator -> responder  Noise message 1 (e), empty payload
 *   2. responder -> initiator  Noise message 2 (e, ee, s, es), payload = identity proof
 *   3. initiator -> responder  Noise message 3 (s, se, psk), payload = identity proof + hello (JSON)
 *   4. responder -> initiator  the first transport message: the responder's hello (JSON), which also proves
 *                              that the responder holds the same PSK
 * identity proof = Ed25519 public key (32 bytes) || Ed25519 signature (64 bytes) over
 *                  "wsmesh-noise-static-key:" || the sender's Noise static public key
 * The hello of message 3 is only readable with the PSK (it is encrypted under a key mixed with it); the
 * responder's hello travels only after the initiator proved the PSK. A wrong PSK fails message 3 on the
 * responder, which closes the connection with 4001 and a reason naming the secret.
 *
 * Transport: every later WebSocket message is one Noise transport message. See SecureTransport.
 */
import { concat, equalBytes, fromUtf8, utf8 } from './bytes.js';
import { FRAGMENT_MORE, MAX_FRAGMENT_PLAINTEXT, MeshCloseCode, NOISE_PROLOGUE, STATIC_KEY_SIGNATURE_PREFIX } from './constants.js';
import { WireError } from './errors.js';
import { decodeHello, encodeHello } from './hello.js';
import { idFromPublicKey } from './identity.js';
import { CipherState, HandshakeState, NOISE_MAX_MESSAGE, NoiseError } from './noise.js';
/** @import { CryptoProvider, KeyPair } from './provider.js' */
/** @import { HandshakeResult } from './noise.js' */
/** @import { Identity } from './identity.js' */
/** @import { Hello, PeerKind } from './hello.js' */


const FRAGMENT_BINARY = 0x02;
const PUBLIC_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
/** The secret mismatch, in the words both sides report. */
export const WRONG_SECRET_REASON = 'wrong mesh secret: the Noise PSK does not match (a different secret, or a secret on one side only)';

/**
 * The arbiter of a pair settles which connection lives: the node with the smaller id, or the node when the
 * other side is a browser (browsers never accept connections, so they never race).
 * @param {{ id: string, kind: PeerKind }} local @param {{ id: string, kind: PeerKind }} remote
 */
export function isArbiter(local, remote) {
  if (local.kind !== remote.kind) return local.kind === 'node';
  return local.id < remote.id;
}

/**
 * @typedef {object} SecureHandshakeOptions
 * @property {CryptoProvider} provider
 * @property {boolean} initiator  the side that opened the WebSocket
 * @property {Identity} identity  this side's Ed25519 identity
 * @property {Uint8Array} psk  the mesh PSK (identity.js derivePsk)
 * @property {Hello} hello  what this side says about itself
 * @property {KeyPair} [staticKeys]  this side's Noise static X25519 key pair (default: a fresh one per handshake)
 *
 * @typedef {object} RemotePeer
 * @property {string} id  derived from `publicKey`
 * @property {Uint8Array} publicKey  the peer's Ed25519 identity key, proven in the handshake
 * @property {Hello} hello
 *
 * @typedef {object} SecureLinkResult
 * @property {RemotePeer} remote
 * @property {SecureTransport} transport
 * @property {Uint8Array} handshakeHash
 */

/** Runs the link handshake described above; `receive` throws a WireError when the connection must close. */
export class SecureHandshake {
  /** @type {HandshakeState | null} */
  #noise = null;
  /** @type {{ id: string, publicKey: Uint8Array } | null} */
  #remoteIdentity = null;
  /** @type {SecureLinkResult | null} */
  #result = null;
  /** @type {CipherState | null} */
  #pendingSend = null;
  /** @type {CipherState | null} */
  #pendingReceive = null;
  #step = 0;

  /** Private: holds this side's identity key and the PSK. @type {SecureHandshakeOptions} */
  #options;

  /** @param {SecureHandshakeOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** The peer's proven identity (before its hello arrived), or null. */
  get remoteIdentity() {
    return this.#remoteIdentity;
  }

  /** The finished link, or null. */
  get result() {
    return this.#result;
  }

  /** The messages to send first (the initiator's message 1; nothing for the responder). @returns {Promise<Uint8Array[]>} */
  async start() {
    const { provider, initiator, psk } = this.#options;
    const staticKeys = this.#options.staticKeys ?? (await provider.x25519Generate());
    this.#noise = new HandshakeState({ provider, pattern: 'XXpsk3', initiator, prologue: utf8(NOISE_PROLOGUE), staticKeys, psk });
    if (!initiator) return [];
    this.#step = 1;
    // Message 1's payload is in clear (no key yet): the mesh name, public anyway (mDNS announces it), so that a
    // node of another mesh is told so (4002) rather than taken for a wrong secret, which the PSK would show.
    return [await this.#noise.writeMessage(utf8(this.#options.hello.mesh))];
  }

  /**
   * One binary message of the peer; returns the messages to send. Throws a WireError (close with its code).
   * @param {Uint8Array} message @returns {Promise<Uint8Array[]>}
   */
  async receive(message) {
    const noise = this.#noise;
    if (noise === null || this.#result !== null) throw new WireError(MeshCloseCode.BadMessage, 'unexpected handshake message');
    const { initiator } = this.#options;
    if (!initiator && this.#step === 0) {
      const mesh = await this.#read(noise, message, 'message 1');
      const local = this.#options.hello.mesh;
      if (mesh.length > 0 && fromUtf8(mesh) !== local) {
        throw new WireError(MeshCloseCode.WrongMesh, `mesh "${fromUtf8(mesh).slice(0, 64)}", expected "${local}"`);
      }
      this.#step = 2;
      return [await noise.writeMessage(this.#proof(noise))];
    }
    if (initiator && this.#step === 1) {
      const payload = await this.#read(noise, message, 'message 2');
      this.#checkProof(noise, payload, false);
      this.#step = 3;
      const third = await noise.writeMessage(concat([this.#proof(noise), encodeHello(this.#options.hello)]));
      const result = /** @type {HandshakeResult} */ (noise.result);
      this.#pendingSend = result.send;
      this.#pendingReceive = result.receive;
      return [third];
    }
    if (!initiator && this.#step === 2) {
      let payload;
      try {
        payload = await noise.readMessage(message);
      } catch (error) {
        if (error instanceof NoiseError) throw new WireError(MeshCloseCode.AuthFailed, WRONG_SECRET_REASON);
        throw error;
      }
      const hello = this.#checkProof(noise, payload, true);
      const result = /** @type {HandshakeResult} */ (noise.result);
      const transport = new SecureTransport(result.send, result.receive);
      this.#finish(hello, transport, result.handshakeHash);
      return transport.seal(encodeHello(this.#options.hello), false);
    }
    if (initiator && this.#step === 3) {
      const transport = new SecureTransport(/** @type {CipherState} */ (this.#pendingSend), /** @type {CipherState} */ (this.#pendingReceive));
      let opened;
      try {
        opened = transport.open(message);
      } catch (error) {
        if (error instanceof WireError) throw new WireError(MeshCloseCode.AuthFailed, `the peer's confirmation does not decrypt: ${WRONG_SECRET_REASON}`);
        throw error;
      }
      if (opened === null || opened.binary) throw new WireError(MeshCloseCode.BadMessage, 'expected the peer\'s hello');
      this.#finish(decodeHello(opened.data), transport, /** @type {HandshakeResult} */ (noise.result).handshakeHash);
      return [];
    }
    throw new WireError(MeshCloseCode.BadMessage, 'unexpected handshake message');
  }

  /** @param {HandshakeState} noise @param {Uint8Array} message @param {string} which */
  async #read(noise, message, which) {
    try {
      return await noise.readMessage(message);
    } catch (error) {
      if (error instanceof NoiseError) throw new WireError(MeshCloseCode.AuthFailed, `Noise handshake ${which} invalid: ${error.message}`);
      throw error;
    }
  }

  /** @param {HandshakeState} noise */
  #proof(noise) {
    const { provider, identity } = this.#options;
    const signature = provider.ed25519Sign(identity.privateKey, concat([utf8(STATIC_KEY_SIGNATURE_PREFIX), noise.s.publicKey]));
    return concat([identity.publicKey, signature]);
  }

  /**
   * Verifies the identity proof; returns the hello that follows it (required in message 3, absent in message 2).
   * @param {HandshakeState} noise @param {Uint8Array} payload @param {boolean} withHello @returns {Hello}
   */
  #checkProof(noise, payload, withHello) {
    const { provider } = this.#options;
    const proofLength = PUBLIC_KEY_LENGTH + SIGNATURE_LENGTH;
    if (payload.length < proofLength || (!withHello && payload.length !== proofLength)) {
      throw new WireError(MeshCloseCode.BadMessage, 'malformed identity proof in the handshake');
    }
    const publicKey = payload.slice(0, PUBLIC_KEY_LENGTH);
    const signature = payload.subarray(PUBLIC_KEY_LENGTH, proofLength);
    const signed = concat([utf8(STATIC_KEY_SIGNATURE_PREFIX), /** @type {Uint8Array} */ (noise.remoteStatic)]);
    if (!provider.ed25519Verify(publicKey, signed, signature)) {
      throw new WireError(MeshCloseCode.AuthFailed, 'the peer\'s identity key did not sign its Noise static key');
    }
    const id = idFromPublicKey(provider, publicKey);
    if (id === this.#options.identity.id) {
      // Each process start has its own Noise static key: the same one on the other end is this very process.
      const self = equalBytes(/** @type {Uint8Array} */ (noise.remoteStatic), noise.s.publicKey);
      throw new WireError(MeshCloseCode.SelfConnection, self ? 'connected to itself' : `another node uses this id (${id}): one identity key in two processes`);
    }
    this.#remoteIdentity = { id, publicKey };
    return withHello ? decodeHello(payload.subarray(proofLength)) : /** @type {Hello} */ (/** @type {unknown} */ (null));
  }

  /** @param {Hello} hello @param {SecureTransport} transport @param {Uint8Array} handshakeHash */
  #finish(hello, transport, handshakeHash) {
    const local = this.#options.hello;
    if (hello.mesh !== local.mesh) throw new WireError(MeshCloseCode.WrongMesh, `mesh "${hello.mesh}", expected "${local.mesh}"`);
    if (hello.kind === 'browser' && local.kind === 'browser') throw new WireError(MeshCloseCode.BadMessage, 'two browsers cannot link');
    const identity = /** @type {{ id: string, publicKey: Uint8Array }} */ (this.#remoteIdentity);
    this.#result = { remote: { id: identity.id, publicKey: identity.publicKey, hello }, transport, handshakeHash };
  }
}

/**
 * A link's transport after the handshake. A mesh message (text or binary) travels as one or more Noise transport
 * messages of at most 65535 bytes, each in its own binary WebSocket message. The plaintext of each fragment is
 * one flags byte (0x01: more fragments follow; 0x02: the message is binary, on every fragment) and up to
 * MAX_FRAGMENT_PLAINTEXT bytes of the message. The receiver reassembles at most `maxMessage` bytes.
 */
export class SecureTransport {
  /** @type {Uint8Array[]} */
  #parts = [];
  #partsLength = 0;

  /** @param {CipherState} send @param {CipherState} receive @param {number} [maxMessage] */
  constructor(send, receive, maxMessage = 16 * 1024 * 1024) {
    this.sender = send;
    this.receiver = receive;
    this.maxMessage = maxMessage;
  }

  /**
   * Encrypts one mesh message into the WebSocket messages to send, in order.
   * @param {Uint8Array} data @param {boolean} binary @returns {Uint8Array[]}
   */
  seal(data, binary) {
    const flags = binary ? FRAGMENT_BINARY : 0;
    /** @type {Uint8Array[]} */
    const out = [];
    let offset = 0;
    do {
      const end = Math.min(data.length, offset + MAX_FRAGMENT_PLAINTEXT);
      const plaintext = new Uint8Array(1 + end - offset);
      plaintext[0] = flags | (end < data.length ? FRAGMENT_MORE : 0);
      plaintext.set(data.subarray(offset, end), 1);
      out.push(this.sender.encrypt(plaintext));
      offset = end;
    } while (offset < data.length);
    return out;
  }

  /**
   * Decrypts one WebSocket message; returns the mesh message once its last fragment arrived, else null.
   * Throws a WireError (BadMessage) for a message that does not authenticate or breaks the framing.
   * @param {Uint8Array} message @returns {{ data: Uint8Array, binary: boolean } | null}
   */
  open(message) {
    if (message.length > NOISE_MAX_MESSAGE) throw new WireError(MeshCloseCode.BadMessage, `transport message of ${message.length} bytes exceeds ${NOISE_MAX_MESSAGE}`);
    let plaintext;
    try {
      plaintext = this.receiver.decrypt(message);
    } catch (error) {
      if (error instanceof NoiseError) throw new WireError(MeshCloseCode.BadMessage, `transport message rejected: ${error.message}`);
      throw error;
    }
    if (plaintext.length === 0) throw new WireError(MeshCloseCode.BadMessage, 'empty transport message');
    const flags = plaintext[0];
    if ((flags & ~(FRAGMENT_MORE | FRAGMENT_BINARY)) !== 0) throw new WireError(MeshCloseCode.BadMessage, `unknown fragment flags ${flags}`);
    const body = plaintext.subarray(1);
    const binary = (flags & FRAGMENT_BINARY) !== 0;
    if (this.#parts.length === 0 && (flags & FRAGMENT_MORE) === 0) {
      if (body.length > this.maxMessage) throw new WireError(MeshCloseCode.BadMessage, `message exceeds ${this.maxMessage} bytes`);
      return { data: body, binary };
    }
    this.#partsLength += body.length;
    if (this.#partsLength > this.maxMessage) throw new WireError(MeshCloseCode.BadMessage, `fragmented message exceeds ${this.maxMessage} bytes`);
    this.#parts.push(body);
    if ((flags & FRAGMENT_MORE) !== 0) return null;
    const data = concat(this.#parts);
    this.#parts = [];
    this.#partsLength = 0;
    return { data, binary };
  }
}

/** Text of a text mesh message (strict UTF-8). @param {Uint8Array} data */
export function textOf(data) {
  try {
    return fromUtf8(data);
  } catch {
    throw new WireError(MeshCloseCode.BadMessage, 'text message is not valid UTF-8');
  }
}
