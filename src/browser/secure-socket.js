// @ts-check
// A browser peer's link to its node: a WebSocket (subprotocol wsmesh.v2, binary messages) that runs the
// shared link handshake (src/wire/secure-link.js, Noise_XXpsk3_25519_ChaChaPoly_SHA256) as the initiator.
// In XX the node proves its identity key first (message 2); the page sends its own identity, and the
// only thing that depends on the mesh secret, in message 3, after checking that proof.

import { concat, equalBytes, utf8 } from '../wire/bytes.js';
import { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL, STATIC_KEY_SIGNATURE_PREFIX } from '../wire/constants.js';
import { WireError } from '../wire/errors.js';
import { SecureHandshake } from '../wire/secure-link.js';
import { nobleCrypto } from './crypto-noble.js';
import { webCrypto, webCryptoAvailable } from './crypto-webcrypto.js';

/**
 * @import { CryptoProvider } from '../wire/provider.js'
 * @import { SecureLinkResult } from '../wire/secure-link.js'
 * @import { Hello } from '../wire/hello.js'
 * @import { IdentityKey } from './identity-key.js'
 */

/**
 * @typedef {'webcrypto' | 'noble'} ProviderName
 * @typedef {{ name: ProviderName, provider: CryptoProvider }} ChosenProvider
 */

/**
 * The provider for this page: WebCrypto's X25519 in a secure context that has it, else @noble only.
 * @param {ProviderName | 'auto'} [wanted]
 * @returns {Promise<ChosenProvider>}
 */
export async function chooseProvider(wanted = 'auto') {
  if (wanted === 'noble') return { name: 'noble', provider: nobleCrypto };
  if (await webCryptoAvailable()) return { name: 'webcrypto', provider: webCrypto };
  if (wanted === 'webcrypto') throw new TypeError('WebCrypto X25519 is not available here (not a secure context, or an older browser)');
  return { name: 'noble', provider: nobleCrypto };
}

/**
 * A handshake whose identity proof is signed by `key`, which may sign only asynchronously (a WebCrypto key):
 * the page picks its Noise static key itself and signs it before the handshake starts; the handshake's
 * provider hands out that one signature and refuses to sign anything else.
 * @param {{ provider: CryptoProvider, key: IdentityKey, psk: Uint8Array, hello: Hello }} options
 */
export async function browserHandshake({ provider, key, psk, hello }) {
  const staticKeys = await provider.x25519Generate();
  const signed = concat([utf8(STATIC_KEY_SIGNATURE_PREFIX), staticKeys.publicKey]);
  const signature = await key.sign(signed);
  /** @type {CryptoProvider} */
  const signingProvider = {
    ...provider,
    ed25519Sign(_privateKey, message) {
      if (!equalBytes(message, signed)) throw new TypeError('the link handshake may only sign its own static key');
      return signature;
    },
  };
  const identity = { id: key.id, publicKey: key.publicKey, privateKey: new Uint8Array(32) };
  return new SecureHandshake({ provider: signingProvider, initiator: true, identity, psk, hello, staticKeys });
}

/** @param {number} byteCount */
export function randomHex(byteCount) {
  return Array.from(crypto.getRandomValues(new Uint8Array(byteCount)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The hello of a browser peer.
 * @param {string} name @param {string} mesh @param {string} boot
 * @returns {Hello}
 */
export function browserHello(name, mesh, boot) {
  return { v: MESH_PROTOCOL_VERSION, name, mesh, kind: 'browser', listen: [], boot, batch: true };
}

/**
 * @typedef {object} SecureSocketEvents
 * @property {(link: SecureLinkResult) => void} onOpen the handshake finished
 * @property {(data: Uint8Array, binary: boolean) => void} onMessage one mesh message (decrypted, reassembled)
 * @property {(code: number, reason: string, error: WireError | null) => void} onClose the socket closed;
 *   `error` when the page closed it because of what the node sent
 */

/**
 * Opens a WebSocket to `url` and runs the handshake on it. Messages are handled strictly in order (the
 * handshake is asynchronous); `send` seals and sends one mesh message once open.
 */
export class SecureSocket {
  /** @type {import('../wire/secure-link.js').SecureTransport | null} */
  #transport = null;
  /** @type {Promise<unknown>} */
  #queue = Promise.resolve();
  /** @type {WireError | null} */
  #error = null;
  #closed = false;

  /**
   * @param {string} url
   * @param {SecureHandshake} handshake
   * @param {SecureSocketEvents} events
   */
  constructor(url, handshake, events) {
    this.handshake = handshake;
    this.events = events;
    this.socket = new WebSocket(url, MESH_SUBPROTOCOL);
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('open', () =>
      this.#enqueue(async () => {
        this.#sendAll(await handshake.start());
        handshake.prepare();
      }),
    );
    this.socket.addEventListener('message', (event) => this.#enqueue(() => this.#receive(event.data)));
    this.socket.addEventListener('close', (event) => this.#enqueue(() => this.#onClose(event.code, event.reason)));
  }

  get isOpen() {
    return this.#transport !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** @param {Uint8Array} data @param {boolean} binary */
  send(data, binary) {
    if (this.#transport === null || this.socket.readyState !== WebSocket.OPEN) return false;
    this.#sendAll(this.#transport.seal(data, binary));
    return true;
  }

  /** Closes the socket; no more events but `onClose`. @param {number} code @param {string} reason */
  close(code, reason) {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close(code, reason);
  }

  /** @param {() => unknown} task */
  #enqueue(task) {
    this.#queue = this.#queue.then(task).catch((error) => this.#fail(error));
  }

  /** @param {Uint8Array[]} messages */
  #sendAll(messages) {
    for (const message of messages) this.socket.send(/** @type {Uint8Array<ArrayBuffer>} */ (message));
  }

  /** @param {unknown} data */
  async #receive(data) {
    if (this.#closed || this.#error !== null) return;
    if (!(data instanceof ArrayBuffer)) throw new WireError(4000, 'wsmesh.v2 carries binary messages only');
    const bytes = new Uint8Array(data);
    if (this.#transport === null) {
      this.#sendAll(await this.handshake.receive(bytes));
      const link = this.handshake.result;
      if (link === null) return;
      this.#transport = link.transport;
      this.events.onOpen(link);
      return;
    }
    for (const message of this.#transport.openAll(bytes)) {
      if (this.#closed || this.#error !== null) return;
      this.events.onMessage(message.data, message.binary);
    }
  }

  /** @param {unknown} error */
  #fail(error) {
    if (this.#error !== null || this.#closed) return;
    this.#error = error instanceof WireError ? error : new WireError(4000, error instanceof Error ? error.message : String(error));
    // A close reason is at most 123 bytes.
    this.close(this.#error.code, this.#error.message.slice(0, 120));
  }

  /** @param {number} code @param {string} reason */
  #onClose(code, reason) {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport = null;
    this.events.onClose(code, reason, this.#error);
  }
}
