import { randomBytes } from 'node:crypto';
import { BroadcastTree, DEFAULT_TREE_OPTIONS } from './broadcast-tree.ts';
import type { TreeOptions } from './broadcast-tree.ts';
import { DedupCache } from './dedup-cache.ts';
import { ackMessage, encodeApp, encodeControl } from './envelope.ts';
import type { AckMessage, AppMessage, TreeMessage } from './envelope.ts';

export type MeshSendErrorCode = 'unknown-peer' | 'timeout' | 'outbox-full' | 'stopped' | 'self' | 'too-large';

/** Why `send()` could not confirm delivery. */
export class MeshSendError extends Error {
  override readonly name = 'MeshSendError';
  constructor(
    readonly code: MeshSendErrorCode,
    message: string,
  ) {
    super(message);
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

/** What the messenger needs from the node: its identity, its links and its peer table. */
export interface MessengerHost {
  readonly selfId: string;
  /** The neighbour id to hand a message for `to` to, or null when there is no route now. */
  nextHop(to: string): string | null;
  /** Sends a frame to a neighbour; false when that link is not open. */
  transmit(neighbourId: string, frame: string | Buffer): boolean;
  /** Every live neighbour. */
  neighbourIds(): string[];
  /** Whether a neighbour is a leaf (a browser peer: it relays nothing). */
  isLeaf(id: string): boolean;
  isKnownPeer(id: string): boolean;
  deliver(data: string | Buffer, info: MessageInfo): void;
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
  frame: string | Buffer;
  sentVia: string | null;
  sentAt: number;
  resolve: () => void;
  reject: (error: MeshSendError) => void;
  timer: NodeJS.Timeout;
}

function newMessageId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Direct messages with acks, outbox and retransmission; broadcasts over a self-repairing spanning tree
 * (`BroadcastTree`) with TTL; relaying for others. Receivers deliver a message id once and acknowledge every copy.
 */
export class Messenger {
  readonly #pending = new Map<string, PendingSend>();
  readonly #seenDirect = new DedupCache();
  readonly tree: BroadcastTree;

  constructor(
    readonly host: MessengerHost,
    readonly options: MessengerOptions,
  ) {
    this.tree = new BroadcastTree(host, { ...DEFAULT_TREE_OPTIONS, ...options.tree });
  }

  /** Resolves once `to` acknowledged the message; waits in the outbox while there is no route. */
  send(to: string, data: string | Uint8Array): Promise<void> {
    const id = newMessageId();
    const frame = encodeApp({ t: 'msg', id, from: this.host.selfId, to, ttl: this.options.ttl, hops: 0 }, data);
    const problem = this.#checkSend(to, frame);
    if (problem !== null) return Promise.reject(problem);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MeshSendError('timeout', `no acknowledgement from ${to} within ${this.options.sendTimeout} ms`));
      }, this.options.sendTimeout);
      this.#pending.set(id, { to, frame, sentVia: null, sentAt: 0, resolve, reject, timer });
      this.#transmitPending(id, Date.now());
    });
  }

  /** Sends a message to the whole mesh; returns its id. */
  broadcast(data: string | Uint8Array): string {
    const id = newMessageId();
    const frame = encodeApp({ t: 'msg', id, from: this.host.selfId, to: null, ttl: this.options.ttl, hops: 0 }, data);
    const tooLarge = this.#checkSize(frame);
    if (tooLarge !== null) throw tooLarge;
    this.tree.receive(null, id, frame, Date.now());
    return id;
  }

  /** Broadcast tree control from a neighbour. */
  receiveTree(fromNeighbour: string, message: TreeMessage): void {
    if (message.t === 'ihave') this.tree.ihave(fromNeighbour, message.ids);
    else if (message.t === 'graft') this.tree.graft(fromNeighbour, message.ids);
    else this.tree.prune(fromNeighbour);
  }

  receiveApp(fromNeighbour: string, message: AppMessage, payload: Buffer | undefined): void {
    const data = payload ?? message.data!;
    const now = Date.now();
    const { id, from, to, hops } = message;
    if (from === this.host.selfId) return;
    if (to === null) {
      if (this.tree.has(id)) return void this.tree.receive(fromNeighbour, id, null, now);
      const ttl = this.#nextTtl(message.ttl);
      const frame = ttl < 1 ? null : encodeApp({ ...header(message), ttl, hops: hops + 1 }, data);
      if (this.tree.receive(fromNeighbour, id, frame, now)) this.host.deliver(data, { from, to, id, hops: hops + 1 });
      return;
    }
    if (to !== this.host.selfId) return this.#relay(fromNeighbour, to, message.ttl, (ttl) => encodeApp({ ...header(message), ttl, hops: hops + 1 }, data));
    if (this.#seenDirect.add(`${from}/${id}`, now)) this.host.deliver(data, { from, to, id, hops: hops + 1 });
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
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (size <= this.options.maxPayload) return null;
    return new MeshSendError('too-large', `message of ${size} bytes with its envelope exceeds maxPayload ${this.options.maxPayload}`);
  }

  #transmitPending(id: string, now: number): void {
    const pending = this.#pending.get(id)!;
    const via = this.host.nextHop(pending.to);
    if (via === null || !this.host.transmit(via, pending.frame)) return;
    pending.sentVia = via;
    pending.sentAt = now;
  }

  /** Sends an ack toward the message's sender; without a route yet (its links record is on its way), back the way the message came. */
  #sendAck(ack: AckMessage, cameFrom: string): void {
    const via = this.host.nextHop(ack.to) ?? cameFrom;
    this.host.transmit(via, encodeControl(ack));
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

function header(message: AppMessage): Omit<AppMessage, 'data'> {
  const { t, id, from, to, ttl, hops } = message;
  return { t, id, from, to, ttl, hops };
}
