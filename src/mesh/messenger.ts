import { randomBytes } from 'node:crypto';
import { BroadcastTree, DEFAULT_TREE_OPTIONS } from './broadcast-tree.ts';
import type { TreeHost, TreeOptions } from './broadcast-tree.ts';
import { WsmeshError } from '../errors.ts';
import { ReplayWindows } from './replay-window.ts';
import { ackMessage, encodeApp, encodeControl } from './envelope.ts';
import type { AckMessage, AppMessage, TreeMessage } from './envelope.ts';

export type MeshSendErrorCode = 'unknown-peer' | 'timeout' | 'outbox-full' | 'stopped' | 'self' | 'too-large' | 'no-peers';

/** Why `send()` could not confirm delivery, or why `broadcast()` reached nobody. */
export class MeshSendError extends WsmeshError {
  override readonly name = 'MeshSendError';
  declare readonly code: MeshSendErrorCode;
  constructor(code: MeshSendErrorCode, message: string) {
    super(code, message);
  }
}

export interface MessageInfo {
  from: string;
  /** Null for a broadcast. */
  to: string | null;
  id: string;
  /** Links the message travelled: 1 from a neighbour. */
  hops: number;
}

/**
 * What the messenger needs from the node: its identity, its links (all the broadcast tree needs, since the
 * messenger hands it this host) and its peer table.
 */
export interface MessengerHost extends TreeHost {
  /** The neighbour id to hand a message for `to` to, or null when there is no route now. */
  nextHop(to: string): string | null;
  isKnownPeer(id: string): boolean;
  deliver(data: string | Buffer, info: MessageInfo): void;
  /** Signs a message as this node (its origin); `payload` is a binary message's data. */
  sign<T extends AppMessage | AckMessage>(message: T, payload?: Uint8Array): T;
}

export interface MessengerOptions {
  /** Hops a message may travel. */
  ttl: number;
  /** How long `send()` waits for the ack, ms. */
  sendTimeout: number;
  /** Unacknowledged messages kept per destination. */
  outboxLimit: number;
  /** Resend an unacknowledged message after this long, ms (receivers drop duplicates). */
  retransmitAfter: number;
  /** Largest WebSocket message (payload with its envelope), bytes. */
  maxPayload: number;
  /** The broadcast tree's timers and cache (default DEFAULT_TREE_OPTIONS). */
  tree?: Partial<TreeOptions>;
}

interface PendingSend {
  to: string;
  /** Unsigned: what goes straight to `to` over its own link (the Noise link proves the origin). */
  frame: string | Buffer;
  /** Signed when first relayed (signing costs more than the rest of a send). */
  signed: () => string | Buffer;
  sentVia: string | null;
  sentAt: number;
  resolve: () => void;
  reject: (error: MeshSendError) => void;
  timer: NodeJS.Timeout;
}

/** Bytes the key and signature fields add to a message (about 150 as JSON). */
const SIGNATURE_BYTES = 160;

/** Random bytes drawn 512 messages at a time: one randomBytes call per message cost more than its encryption. */
let idPool = Buffer.alloc(0);
let idOffset = 0;

function newMessageId(): string {
  if (idOffset + 8 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  idOffset += 8;
  return idPool.toString('hex', idOffset - 8, idOffset);
}

/**
 * Direct messages with acks, outbox and retransmission; broadcasts over a self-repairing spanning tree
 * (`BroadcastTree`) with TTL; relaying for others. Receivers deliver a message id once and acknowledge every copy.
 */
export class Messenger {
  readonly #pending = new Map<string, PendingSend>();
  /** Delivered (origin, seq) pairs: each signed message is delivered once, whatever else arrives meanwhile. */
  readonly #delivered: ReplayWindows;
  /** This node's message counter; starts at the clock (µs) so that a restarted node's counter is higher. */
  #seq = Date.now() * 1000;
  readonly tree: BroadcastTree;

  constructor(
    readonly host: MessengerHost,
    readonly options: MessengerOptions,
  ) {
    this.tree = new BroadcastTree(host, { ...DEFAULT_TREE_OPTIONS, ...options.tree });
    this.#delivered = new ReplayWindows((id) => host.isKnownPeer(id));
  }

  /**
   * A new message of this node: `frame` unsigned (for a destination that is a neighbour: its link proves the
   * origin), `signed()` with the signature (for anything relayed); text data is a signed field, binary data the
   * signed payload.
   */
  #newMessage(to: string | null, data: string | Uint8Array): { id: string; frame: string | Buffer; signed: () => string | Buffer } {
    const id = newMessageId();
    const header: AppMessage = { t: 'msg', id, from: this.host.selfId, to, ttl: this.options.ttl, hops: 0, seq: ++this.#seq };
    let signed: string | Buffer | undefined;
    const sign = (): string | Buffer => {
      if (signed !== undefined) return signed;
      if (typeof data !== 'string') return (signed = encodeApp(this.host.sign({ ...header }, data), data));
      const { data: _signed, ...fields } = this.host.sign({ ...header, data });
      return (signed = encodeApp(fields, data));
    };
    return { id, frame: encodeApp(header, data), signed: sign };
  }

  /** Resolves once `to` acknowledged the message; waits in the outbox while there is no route. */
  send(to: string, data: string | Uint8Array): Promise<void> {
    const { id, frame, signed } = this.#newMessage(to, data);
    const problem = this.#checkSend(to, frame);
    if (problem !== null) return Promise.reject(problem);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MeshSendError('timeout', `no acknowledgement from ${to} within ${this.options.sendTimeout} ms`));
      }, this.options.sendTimeout);
      this.#pending.set(id, { to, frame, signed, sentVia: null, sentAt: 0, resolve, reject, timer });
      this.#transmitPending(id, Date.now());
    });
  }

  /** Sends a message to the whole mesh; returns its id. Throws 'no-peers' when no neighbour can take it. */
  broadcast(data: string | Uint8Array): string {
    const { id, signed } = this.#newMessage(null, data);
    const frame = signed();
    const tooLarge = this.#checkSize(frame);
    if (tooLarge !== null) throw tooLarge;
    if (this.host.neighbourIds().length === 0) {
      throw new MeshSendError('no-peers', 'broadcast reached nobody: no peer is connected (await node.ready() first)');
    }
    this.tree.receive(null, id, this.host.selfId, frame, Date.now());
    return id;
  }

  /** Broadcast tree control from a neighbour. */
  receiveTree(fromNeighbour: string, message: TreeMessage): void {
    if (message.t === 'ihave') this.tree.ihave(fromNeighbour, message.ids);
    else if (message.t === 'graft') this.tree.graft(fromNeighbour, message.ids);
    else this.tree.prune(fromNeighbour);
  }

  /** `verify`: the signature of a broadcast from its origin's own link is not checked yet (see BroadcastTree.receive). */
  receiveApp(fromNeighbour: string, message: AppMessage, payload: Buffer | undefined, verify?: () => boolean): void {
    const data = payload ?? message.data!;
    const now = Date.now();
    const { id, from, to, hops } = message;
    if (from === this.host.selfId) return;
    // The router verified the signature (or the origin's own link proves it: `verify`), so seq is the origin's own.
    const seq = message.seq!;
    if (to === null) {
      if (this.tree.has(id)) return void this.tree.receive(fromNeighbour, id, from, null, now);
      if (!this.#delivered.accept(from, seq)) return;
      const ttl = this.#nextTtl(message.ttl);
      const frame = ttl < 1 ? null : encodeApp({ ...header(message), ttl, hops: hops + 1 }, data);
      if (this.tree.receive(fromNeighbour, id, from, frame, now, { verify })) this.host.deliver(data, { from, to, id, hops: hops + 1 });
      return;
    }
    if (to !== this.host.selfId) return this.#relay(fromNeighbour, to, message.ttl, (ttl) => encodeApp({ ...header(message), ttl, hops: hops + 1 }, data));
    if (this.#delivered.accept(from, seq)) this.host.deliver(data, { from, to, id, hops: hops + 1 });
    this.#sendAck(ackMessage(id, this.host.selfId, from, this.options.ttl), fromNeighbour);
  }

  receiveAck(fromNeighbour: string, ack: AckMessage): void {
    if (ack.to !== this.host.selfId) return this.#relay(fromNeighbour, ack.to, ack.ttl, (ttl) => encodeControl({ ...ack, ttl }));
    const pending = this.#pending.get(ack.id);
    if (pending === undefined || pending.to !== ack.from) return;
    this.#pending.delete(ack.id);
    clearTimeout(pending.timer);
    pending.resolve();
  }

  /** A link went down: what was sent over it and not acknowledged goes out again on the next flush. */
  linkLost(neighbourId: string): void {
    this.tree.linkLost(neighbourId);
    for (const pending of this.#pending.values()) {
      if (pending.sentVia === neighbourId) pending.sentVia = null;
    }
  }

  /** Sends what waits for a route, and resends what was not acknowledged in time. */
  flush(now: number): void {
    for (const [id, pending] of this.#pending) {
      if (pending.sentVia === null || now - pending.sentAt >= this.options.retransmitAfter) this.#transmitPending(id, now);
    }
  }

  /** Messages waiting for an acknowledgement, per destination. */
  outboxSize(to: string): number {
    let size = 0;
    for (const pending of this.#pending.values()) if (pending.to === to) size++;
    return size;
  }

  stop(): void {
    this.tree.stop();
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new MeshSendError('stopped', `node stopped before ${pending.to} acknowledged the message`));
    }
    this.#pending.clear();
  }

  #checkSend(to: string, frame: string | Buffer): MeshSendError | null {
    if (to === this.host.selfId) return new MeshSendError('self', 'cannot send a message to this node itself');
    if (!this.host.isKnownPeer(to)) return new MeshSendError('unknown-peer', `unknown peer ${to}`);
    const tooLarge = this.#checkSize(frame);
    if (tooLarge !== null) return tooLarge;
    if (this.outboxSize(to) >= this.options.outboxLimit) {
      return new MeshSendError('outbox-full', `${this.options.outboxLimit} messages to ${to} already wait for acknowledgement`);
    }
    return null;
  }

  #checkSize(frame: string | Buffer): MeshSendError | null {
    // The signature (`key`, `sig`) a relayed copy carries is counted too.
    const size = (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length) + SIGNATURE_BYTES;
    if (size <= this.options.maxPayload) return null;
    return new MeshSendError('too-large', `message of ${size} bytes with its envelope exceeds maxPayload ${this.options.maxPayload}`);
  }

  #transmitPending(id: string, now: number): void {
    const pending = this.#pending.get(id)!;
    const via = this.host.nextHop(pending.to);
    if (via === null || !this.host.transmit(via, via === pending.to ? pending.frame : pending.signed())) return;
    pending.sentVia = via;
    pending.sentAt = now;
  }

  /**
   * Sends an ack toward the message's sender; without a route yet (its links record is on its way), back the way
   * the message came. An ack straight to its neighbour destination goes unsigned (the link proves it); a relayed
   * one is signed.
   */
  #sendAck(ack: AckMessage, cameFrom: string): void {
    const via = this.host.nextHop(ack.to) ?? cameFrom;
    this.host.transmit(via, encodeControl(via === ack.to ? ack : this.host.sign(ack)));
  }

  /** Passes a message for another peer one hop on; dropped when out of TTL or route (the sender resends). */
  #relay(fromNeighbour: string, to: string, ttl: number, encode: (ttl: number) => string | Buffer): void {
    const next = this.#nextTtl(ttl);
    if (next < 1) return;
    const via = this.host.nextHop(to);
    if (via === null || via === fromNeighbour) return;
    this.host.transmit(via, encode(next));
  }

  /** The TTL a relayed message goes on with: one less, and never more than this node's own `ttl`. */
  #nextTtl(ttl: number): number {
    return Math.min(ttl, this.options.ttl) - 1;
  }
}

/** Everything but the text data: what a relay passes on in front of the data (signature included). */
function header(message: AppMessage): Omit<AppMessage, 'data'> {
  const { data: _data, ...rest } = message;
  return rest;
}
