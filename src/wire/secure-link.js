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
import { BATCH_RECORD_HEADER, FRAGMENT_BATCH, FRAGMENT_MORE, MAX_FRAGMENT_PLAINTEXT, MeshCloseCode, NOISE_PROLOGUE, STATIC_KEY_SIGNATURE_PREFIX } from './constants.js';
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

/** Identity proofs made by this process, by the Noise static public key they vouch for. @type {WeakMap<Uint8Array, { identityKey: Uint8Array, proof: Uint8Array }>} */
const proofs = new WeakMap();

/**
 * Identity proofs this process verified, by their exact bytes (identity key, signature, static key): a node
 * handshakes with the same peers again (reconnects), and nodes sharing a process all verify the proof of each
 * peer they link to. Verifying costs more than the rest of a handshake side but a Noise DH. A hit needs the same
 * bytes that verified; only successful checks are kept, the oldest dropped first beyond `max`.
 */
class VerifiedProofs {
  /** @type {Set<string>} */
  #seen = new Set();
  /** @param {number} max */
  constructor(max) {
    this.max = max;
  }

  /** @param {CryptoProvider} provider @param {Uint8Array} proof identity key || signature @param {Uint8Array} remoteStatic */
  check(provider, proof, remoteStatic) {
    const key = String.fromCharCode(...proof, ...remoteStatic);
    if (this.#seen.has(key)) return true;
    const signed = concat([utf8(STATIC_KEY_SIGNATURE_PREFIX), remoteStatic]);
    if (!provider.ed25519Verify(proof.subarray(0, PUBLIC_KEY_LENGTH), signed, proof.subarray(PUBLIC_KEY_LENGTH))) return false;
    if (this.#seen.size >= this.max) this.#seen.delete(/** @type {string} */ (this.#seen.values().next().value));
    this.#seen.add(key);
    return true;
  }
}
const verifiedProofs = new VerifiedProofs(4096);

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
   * Does ahead what does not depend on the peer: this side's identity proof (a signature, unless this process
   * already made it for its static key). Call it after sending what `start` returned, while the peer works on
   * it; `receive` makes the proof itself otherwise.
   */
  prepare() {
    if (this.#noise !== null) this.#proof(this.#noise);
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

  /**
   * This side's identity proof. Ed25519 signatures are deterministic and a node keeps its Noise static key for
   * its lifetime: the proof is computed once per (identity, static key) and reused (the same bytes).
   * @param {HandshakeState} noise
   */
  #proof(noise) {
    const { provider, identity } = this.#options;
    const cached = proofs.get(noise.s.publicKey);
    if (cached !== undefined && cached.identityKey === identity.privateKey) return cached.proof;
    const signature = provider.ed25519Sign(identity.privateKey, concat([utf8(STATIC_KEY_SIGNATURE_PREFIX), noise.s.publicKey]));
    const proof = concat([identity.publicKey, signature]);
    proofs.set(noise.s.publicKey, { identityKey: identity.privateKey, proof });
    return proof;
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
    if (!verifiedProofs.check(provider, payload.subarray(0, proofLength), /** @type {Uint8Array} */ (noise.remoteStatic))) {
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
    transport.peerOpensBatches = hello.batch === true;
    this.#result = { remote: { id: identity.id, publicKey: identity.publicKey, hello }, transport, handshakeHash };
    // The handshake is over: its state (ephemeral keys, chaining key, hash) is not needed any more, and a link
    // lives for hours. Only the result stays (the transport's two cipher states).
    this.#noise = null;
    this.#pendingSend = null;
    this.#pendingReceive = null;
  }
}

/** @typedef {{ data: Uint8Array, binary: boolean }} SealedMessage */

/**
 * A link's transport after the handshake. A mesh message (text or binary) travels as one or more Noise transport
 * messages of at most 65535 bytes, each in its own binary WebSocket message. The plaintext of each fragment is
 * one flags byte (0x01: more fragments follow; 0x02: the message is binary, on every fragment) and up to
 * MAX_FRAGMENT_PLAINTEXT bytes of the message. The receiver reassembles at most `maxMessage` bytes.
 *
 * Batches: to a peer that said `batch: true` in its hello, `sealAll` packs several whole messages into one Noise
 * message with the flags byte FRAGMENT_BATCH (0x04, alone), followed by records: flags (0x00 text, 0x02 binary),
 * length (2 bytes big-endian), bytes. One cipher set-up and one WebSocket frame then carry many small messages.
 */
export class SecureTransport {
  /** @type {Uint8Array[]} */
  #parts = [];
  #partsLength = 0;
  /** Whether the peer said in its hello that it opens batches (set by the handshake). */
  peerOpensBatches = false;

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
   * Encrypts mesh messages, in order, into as few WebSocket messages as the peer allows: consecutive messages
   * that fit together go in one batch (when the peer opens batches); a message alone, or too large for a batch,
   * is sealed as by `seal`.
   * @param {readonly SealedMessage[]} messages @returns {Uint8Array[]}
   */
  sealAll(messages) {
    /** @type {Uint8Array[]} */
    const out = [];
    if (!this.peerOpensBatches) {
      for (const { data, binary } of messages) out.push(...this.seal(data, binary));
      return out;
    }
    let first = 0;
    while (first < messages.length) {
      // The run [first, end) that fits in one batch.
      let size = 1;
      let end = first;
      while (end < messages.length && size + BATCH_RECORD_HEADER + messages[end].data.length <= MAX_FRAGMENT_PLAINTEXT) {
        size += BATCH_RECORD_HEADER + messages[end].data.length;
        end++;
      }
      if (end - first <= 1) {
        const { data, binary } = messages[first];
        out.push(...this.seal(data, binary));
        first++;
        continue;
      }
      const plaintext = new Uint8Array(size);
      plaintext[0] = FRAGMENT_BATCH;
      let offset = 1;
      for (let i = first; i < end; i++) {
        const { data, binary } = messages[i];
        plaintext[offset] = binary ? FRAGMENT_BINARY : 0;
        plaintext[offset + 1] = data.length >>> 8;
        plaintext[offset + 2] = data.length & 0xff;
        plaintext.set(data, offset + BATCH_RECORD_HEADER);
        offset += BATCH_RECORD_HEADER + data.length;
      }
      out.push(this.sender.encrypt(plaintext));
      first = end;
    }
    return out;
  }

  /**
   * Decrypts one WebSocket message that holds at most one mesh message (a batch is refused): the mesh message
   * once its last fragment arrived, else null. Throws a WireError (BadMessage) as `openAll`.
   * @param {Uint8Array} message @returns {SealedMessage | null}
   */
  open(message) {
    const plaintext = this.#decrypt(message);
    if (plaintext[0] === FRAGMENT_BATCH) throw new WireError(MeshCloseCode.BadMessage, 'a batch of messages where one was expected');
    return this.#fragment(plaintext);
  }

  /**
   * Decrypts one WebSocket message: the mesh messages it completes, in order (none while a fragmented message
   * is incomplete, several for a batch). Throws a WireError (BadMessage) for a message that does not
   * authenticate or breaks the framing.
   * @param {Uint8Array} message @returns {SealedMessage[]}
   */
  openAll(message) {
    const plaintext = this.#decrypt(message);
    if (plaintext[0] !== FRAGMENT_BATCH) {
      const whole = this.#fragment(plaintext);
      return whole === null ? [] : [whole];
    }
    if (this.#parts.length > 0) throw new WireError(MeshCloseCode.BadMessage, 'a batch inside a fragmented message');
    /** @type {SealedMessage[]} */
    const out = [];
    let offset = 1;
    while (offset < plaintext.length) {
      if (plaintext.length - offset < BATCH_RECORD_HEADER) throw new WireError(MeshCloseCode.BadMessage, 'truncated batch record');
      const flags = plaintext[offset];
      if ((flags & ~FRAGMENT_BINARY) !== 0) throw new WireError(MeshCloseCode.BadMessage, `unknown batch record flags ${flags}`);
      const length = (plaintext[offset + 1] << 8) | plaintext[offset + 2];
      const start = offset + BATCH_RECORD_HEADER;
      if (start + length > plaintext.length) throw new WireError(MeshCloseCode.BadMessage, 'truncated batch record');
      if (length > this.maxMessage) throw new WireError(MeshCloseCode.BadMessage, `message exceeds ${this.maxMessage} bytes`);
      out.push({ data: plaintext.subarray(start, start + length), binary: flags === FRAGMENT_BINARY });
      offset = start + length;
    }
    if (out.length === 0) throw new WireError(MeshCloseCode.BadMessage, 'empty batch');
    return out;
  }

  /** @param {Uint8Array} message */
  #decrypt(message) {
    if (message.length > NOISE_MAX_MESSAGE) throw new WireError(MeshCloseCode.BadMessage, `transport message of ${message.length} bytes exceeds ${NOISE_MAX_MESSAGE}`);
    let plaintext;
    try {
      plaintext = this.receiver.decrypt(message);
    } catch (error) {
      if (error instanceof NoiseError) throw new WireError(MeshCloseCode.BadMessage, `transport message rejected: ${error.message}`);
      throw error;
    }
    if (plaintext.length === 0) throw new WireError(MeshCloseCode.BadMessage, 'empty transport message');
    return plaintext;
  }

  /** One fragment (not a batch): the whole message once complete, else null. @param {Uint8Array} plaintext @returns {SealedMessage | null} */
  #fragment(plaintext) {
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
