import { computeProof, createNonce, verifyProof } from './auth.ts';
import { MeshCloseCode } from './close-codes.ts';
import { MeshStateError } from '../errors.ts';
import { MESH_PROTOCOL_VERSION } from './envelope.ts';
import type { ControlMessage, HelloMessage, MeshMessage, PeerKind, WelcomeMessage } from './envelope.ts';

export interface LocalIdentity {
  id: string;
  name: string;
  mesh: string;
  kind: PeerKind;
  listen: string[];
  boot: string;
  secret?: string | undefined;
}

export type HandshakeStep =
  | { type: 'send'; message: ControlMessage }
  | { type: 'fail'; code: number; reason: string }
  /**
   * The peer is verified. The arbiter's node decides (dedup, maxPeers) and calls `welcome()`; the other
   * side may still refuse (maxPeers) and otherwise waits for the welcome.
   */
  | { type: 'admit'; arbiter: boolean }
  /** The arbiter welcomed us: the connection is live. */
  | { type: 'established' };

export type HandshakeState = 'await-hello' | 'await-auth' | 'await-admission' | 'await-welcome' | 'established' | 'failed';

/**
 * The arbiter of a pair settles which connection lives: the node with the smaller id, or the node when
 * the other side is a browser (browsers never accept connections, so they never race).
 */
export function isArbiter(local: { id: string; kind: PeerKind }, remote: { id: string; kind: PeerKind }): boolean {
  if (local.kind !== remote.kind) return local.kind === 'node';
  return local.id < remote.id;
}

/**
 * One connection's opening of wsmesh.v1, sans I/O: both sides send hello; with a secret both send
 * an HMAC proof over both nonces; the arbiter then admits the connection with welcome. Nothing else
 * is accepted before that.
 */
export class LinkHandshake {
  #state: HandshakeState = 'await-hello';
  #remote: HelloMessage | null = null;
  readonly #nonce = createNonce();

  /** Private: it holds the mesh secret. */
  readonly #local: LocalIdentity;

  constructor(local: LocalIdentity) {
    this.#local = local;
  }

  get state(): HandshakeState {
    return this.#state;
  }

  /** The peer's hello, once received and valid. */
  get remote(): HelloMessage | null {
    return this.#remote;
  }

  /** The first message to send on a fresh connection. */
  hello(): HelloMessage {
    const { id, name, mesh, kind, listen, boot, secret } = this.#local;
    return { t: 'hello', v: MESH_PROTOCOL_VERSION, id, name, mesh, kind, listen, nonce: this.#nonce, auth: secret !== undefined, boot };
  }

  receive(message: MeshMessage): HandshakeStep[] {
    switch (this.#state) {
      case 'await-hello':
        return message.t === 'hello' ? this.#onHello(message) : this.#fail(MeshCloseCode.BadMessage, `expected hello, got ${message.t}`);
      case 'await-auth':
        if (message.t !== 'auth') return this.#fail(MeshCloseCode.AuthFailed, `expected auth proof, got ${message.t}`);
        if (!verifyProof(this.#local.secret!, message.proof, this.#remote!.id, this.#remote!.nonce, this.#nonce)) {
          return this.#fail(MeshCloseCode.AuthFailed, 'wrong secret');
        }
        return this.#verified();
      case 'await-welcome':
        if (message.t !== 'welcome') return this.#fail(MeshCloseCode.BadMessage, `expected welcome, got ${message.t}`);
        this.#state = 'established';
        return [{ type: 'established' }];
      case 'await-admission':
        return this.#fail(MeshCloseCode.BadMessage, `unexpected ${message.t} before welcome`);
      case 'established':
      case 'failed':
        return this.#fail(MeshCloseCode.BadMessage, `unexpected ${message.t} after the handshake`);
    }
  }

  /** The arbiter admits the connection; returns the welcome to send. */
  welcome(): WelcomeMessage {
    if (this.#state !== 'await-admission') throw new MeshStateError(`cannot welcome in state ${this.#state}`);
    this.#state = 'established';
    return { t: 'welcome' };
  }

  #onHello(hello: HelloMessage): HandshakeStep[] {
    const local = this.#local;
    if (hello.v !== MESH_PROTOCOL_VERSION) {
      return this.#fail(MeshCloseCode.IncompatibleVersion, `protocol version ${hello.v}, expected ${MESH_PROTOCOL_VERSION}`);
    }
    if (hello.mesh !== local.mesh) return this.#fail(MeshCloseCode.WrongMesh, `mesh "${hello.mesh}", expected "${local.mesh}"`);
    if (hello.id === local.id) {
      return this.#fail(MeshCloseCode.SelfConnection, hello.boot === local.boot ? 'connected to itself' : `another node uses this id (${local.id})`);
    }
    if (hello.kind === 'browser' && local.kind === 'browser') return this.#fail(MeshCloseCode.BadMessage, 'two browsers cannot link');
    if (hello.auth !== (local.secret !== undefined)) {
      return this.#fail(MeshCloseCode.AuthFailed, hello.auth ? 'peer requires a secret, none configured' : 'peer has no secret');
    }
    this.#remote = hello;
    if (local.secret === undefined) return this.#verified();
    this.#state = 'await-auth';
    return [{ type: 'send', message: { t: 'auth', proof: computeProof(local.secret, local.id, this.#nonce, hello.nonce) } }];
  }

  #verified(): HandshakeStep[] {
    const arbiter = isArbiter(this.#local, this.#remote!);
    this.#state = arbiter ? 'await-admission' : 'await-welcome';
    return [{ type: 'admit', arbiter }];
  }

  #fail(code: number, reason: string): HandshakeStep[] {
    this.#state = 'failed';
    return [{ type: 'fail', code, reason }];
  }
}
