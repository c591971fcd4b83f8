/**
 * "Speak the mesh handshake as a raw client": what an attacker on the LAN runs, in one place for every
 * security test. A RawPeer dials a node with our own `connect()` offering wsmesh.v2 and wsmesh.v1, and speaks
 * whichever the node picked: v1 (plain JSON hello / HMAC proof / welcome) or v2 (the Noise link handshake of
 * src/wire, then encrypted messages). The attacker controls every field it sends.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { fromUtf8, utf8 } from '../../src/wire/bytes.js';
import { LEGACY_SUBPROTOCOL, MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from '../../src/wire/constants.js';
import { createIdentity, derivePsk } from '../../src/wire/identity.js';
import type { Identity } from '../../src/wire/identity.js';
import { SecureHandshake, isArbiter } from '../../src/wire/secure-link.js';
import { signMessage } from '../../src/wire/signing.js';
import type { SecureTransport } from '../../src/wire/secure-link.js';
import { waitFor } from '../mesh/support.ts';

export type Json = Record<string, any>;

export interface RawPeerOptions {
  mesh?: string;
  secret?: string;
  name?: string;
  kind?: 'node' | 'browser';
  /** v2: the identity to prove (default: a fresh one). */
  identity?: Identity;
  /** v1: the id to claim in hello (default: a random one). */
  id?: string;
  /** v1: the boot to claim. */
  boot?: string;
  /** Only offer these subprotocols. */
  protocols?: string[];
  /** v2: fields that replace the hello's (any value: the attacker controls it). */
  hello?: Json;
  /** Dial from this local address (e.g. 127.0.0.2: another host as the node sees it). */
  localAddress?: string;
  /** Send this `Origin` header, as a web page does. */
  origin?: string;
}

export interface Received {
  message: Json | null;
  /** The decrypted (v2) or raw (v1) WebSocket message bytes, to replay verbatim. */
  data: Uint8Array;
  binary: boolean;
}

/** A connection to a node, opened but not yet through the mesh handshake. */
export class RawPeer {
  readonly received: Received[] = [];
  /** v1 hello of the node, or v2 the node's hello. */
  remote: Json | null = null;
  close: { code: number; reason: string } | null = null;
  established = false;
  transport: SecureTransport | null = null;
  readonly #pending: Array<(data: Uint8Array, binary: boolean) => void> = [];
  readonly #raw: Array<{ data: Uint8Array; binary: boolean }> = [];

  private constructor(
    readonly ws: WebSocket,
    readonly version: 1 | 2,
    readonly options: RawPeerOptions,
    readonly id: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const bytes = typeof data === 'string' ? utf8(data) : new Uint8Array(data);
      const waiter = this.#pending.shift();
      if (waiter !== undefined) waiter(bytes, isBinary);
      else this.#raw.push({ data: bytes, binary: isBinary });
    });
    ws.on('close', (code, reason) => (this.close = { code, reason }));
    ws.on('error', () => {});
  }

  /** Dials `url`; resolves with the opened WebSocket (before any mesh message). */
  static async open(url: string, options: RawPeerOptions = {}): Promise<RawPeer> {
    const ws = await connect(url, {
      protocols: options.protocols ?? [MESH_SUBPROTOCOL, LEGACY_SUBPROTOCOL],
      localAddress: options.localAddress,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
    const version = ws.protocol === LEGACY_SUBPROTOCOL ? 1 : 2;
    const identity = options.identity ?? createIdentity(nodeCrypto);
    const id = version === 1 ? (options.id ?? randomBytes(16).toString('hex')) : identity.id;
    return new RawPeer(ws, version, { ...options, identity }, id);
  }

  /** Dials and completes the mesh handshake as a member would. */
  static async join(url: string, options: RawPeerOptions = {}): Promise<RawPeer> {
    const peer = await RawPeer.open(url, options);
    await peer.handshake();
    return peer;
  }

  /** The next WebSocket message (raw bytes), or null when the connection closed first. */
  next(ms = 10_000): Promise<{ data: Uint8Array; binary: boolean } | null> {
    const queued = this.#raw.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), ms);
      const onClose = () => {
        clearTimeout(timer);
        resolve(null);
      };
      this.ws.once('close', onClose);
      this.#pending.push((data, binary) => {
        clearTimeout(timer);
        this.ws.off('close', onClose);
        resolve({ data, binary });
      });
    });
  }

  /** v1: the node's hello (its first message). */
  async readV1Hello(): Promise<Json> {
    const first = await this.next();
    if (first === null) throw new Error(`closed before hello: ${JSON.stringify(this.close)}`);
    this.remote = JSON.parse(fromUtf8(first.data)) as Json;
    return this.remote;
  }

  sendJsonV1(message: Json): void {
    this.ws.send(JSON.stringify(message));
  }

  v1Hello(nonce: string, overrides: Json = {}): Json {
    const { mesh = 'wsmesh', name = 'raw', kind = 'node', secret, boot = randomBytes(8).toString('hex') } = this.options;
    return { t: 'hello', v: 1, id: this.id, name, mesh, kind, listen: [], nonce, auth: secret !== undefined, boot, ...overrides };
  }

  /** Runs the whole handshake (the version the node picked); afterwards messages are collected in `received`. */
  async handshake(): Promise<void> {
    if (this.version === 1) await this.#handshakeV1();
    else await this.#handshakeV2();
    this.established = true;
    void this.#collect();
  }

  async #handshakeV1(): Promise<void> {
    const { createHmac } = await import('node:crypto');
    const hello = await this.readV1Hello();
    const nonce = randomBytes(16).toString('hex');
    this.sendJsonV1(this.v1Hello(nonce));
    const { secret } = this.options;
    if (secret !== undefined) {
      const proof = createHmac('sha256', secret).update(`wsmesh.v1 auth|${this.id}|${nonce}|${hello.nonce}`).digest('hex');
      this.sendJsonV1({ t: 'auth', proof });
      const theirs = await this.next();
      if (theirs === null) throw new Error(`refused: ${JSON.stringify(this.close)}`);
    }
    if (this.id < hello.id && this.options.kind !== 'browser') this.sendJsonV1({ t: 'welcome' });
    else {
      const welcome = await this.next();
      if (welcome === null) throw new Error(`refused: ${JSON.stringify(this.close)}`);
    }
  }

  async #handshakeV2(): Promise<void> {
    const { mesh = 'wsmesh', name = 'raw', kind = 'node', secret } = this.options;
    const psk = await derivePsk(nodeCrypto, mesh, secret);
    const hello = { v: MESH_PROTOCOL_VERSION, name, mesh, kind, listen: [], boot: this.options.boot ?? randomBytes(8).toString('hex'), ...this.options.hello };
    const handshake = new SecureHandshake({ provider: nodeCrypto, initiator: true, identity: this.options.identity!, psk, hello });
    for (const message of await handshake.start()) this.ws.send(message);
    while (handshake.result === null) {
      const next = await this.next();
      if (next === null) throw new Error(`refused: ${JSON.stringify(this.close)}`);
      for (const message of await handshake.receive(next.data)) this.ws.send(message);
    }
    const { remote, transport } = handshake.result;
    this.transport = transport;
    this.remote = { id: remote.id, ...remote.hello };
    if (isArbiter({ id: this.id, kind }, { id: remote.id, kind: remote.hello.kind })) this.sendJson({ t: 'welcome' });
    else {
      const welcome = await this.nextMessage();
      if (welcome === null || welcome.message?.t !== 'welcome') throw new Error(`no welcome: ${JSON.stringify(this.close)}`);
    }
  }

  /** The next whole mesh message (decrypted for v2), or null when the connection closed. */
  async nextMessage(ms = 10_000): Promise<Received | null> {
    for (;;) {
      const next = await this.next(ms);
      if (next === null) return null;
      let data = next.data;
      let binary = next.binary;
      if (this.transport !== null) {
        const opened = this.transport.open(next.data);
        if (opened === null) continue;
        ({ data, binary } = opened);
      }
      let message: Json | null = null;
      try {
        message = binary ? JSON.parse(fromUtf8(data.subarray(4, 4 + new DataView(data.buffer, data.byteOffset).getUint32(0)))) : JSON.parse(fromUtf8(data));
      } catch {
        message = null;
      }
      return { message, data, binary };
    }
  }

  async #collect(): Promise<void> {
    for (;;) {
      const next = await this.nextMessage(60_000);
      if (next === null) {
        if (this.close !== null || this.ws.readyState >= 2) return;
        continue;
      }
      this.received.push(next);
    }
  }

  /** Sends one mesh message (JSON text), encrypted on v2. */
  sendJson(message: Json): void {
    this.sendRaw(utf8(JSON.stringify(message)), false);
  }

  /** Sends mesh message bytes as they are (a replay), encrypted on v2. */
  sendRaw(data: Uint8Array, binary: boolean): void {
    if (this.ws.readyState !== 1) return;
    if (this.transport === null) {
      this.ws.send(binary ? Buffer.from(data) : fromUtf8(data));
      return;
    }
    for (const fragment of this.transport.seal(data, binary)) this.ws.send(Buffer.from(fragment));
  }

  #seq = Date.now() * 1000;

  /**
   * v2: signs `message` with this peer's own identity (adding a fresh per-origin `seq` to a msg unless set):
   * what any member can do. v1 had no signatures: the message is returned as it is.
   */
  sign(message: Json, payload?: Uint8Array): Json {
    if (this.version === 1) return message;
    if (message.t === 'msg' && message.seq === undefined) message.seq = ++this.#seq;
    return signMessage(nodeCrypto, this.options.identity!, message, payload);
  }

  messages(type?: string): Json[] {
    return this.received.map((entry) => entry.message).filter((message): message is Json => message !== null && (type === undefined || message.t === type));
  }

  async waitClosed(ms = 10_000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.close !== null, 'the node closed the raw connection', ms);
    return this.close!;
  }

  end(): void {
    if (this.ws.readyState < 2) this.ws.close(1000, 'done');
  }
}
