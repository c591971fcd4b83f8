import { connect } from '../transport/connect.ts';
import { LANE_DIAL, turnBudget } from '../transport/turn-budget.ts';
import type { WebSocket } from '../transport/websocket.ts';
import { MeshCloseCode, isRefusal } from './close-codes.ts';
import { compressionFor } from './compression.ts';
import { DialLog, describeConnectError, describeHandshakeEnd } from './dial-log.ts';
import type { DialFailure, StaticPeerInfo } from './dial-log.ts';
import type { DialPolicy } from './dial-policy.ts';
import { MESH_SUBPROTOCOL } from './envelope.ts';
import type { DisconnectReason } from './link.ts';
import type { ResolvedOptions } from './options.ts';
import type { DialTarget, PeerTable } from './peer-table.ts';

/** What the dialer needs of its node. */
export interface DialerHost {
  /** Whether the node is running: dials start, and connections are kept, only then. */
  running(): boolean;
  /** The node's dial rules and its established links by peer id (undefined before `start()`). */
  links(): { dials: DialPolicy; live: ReadonlyMap<string, unknown> } | undefined;
  /** A dial's WebSocket opened: the node checks its subprotocol and runs the link handshake over it. */
  opened(ws: WebSocket, target: DialTarget): void;
  /** A dial failed (it is retried with backoff): `peer:dial-failed`. */
  failed(failure: DialFailure): void;
}

/**
 * The node's outgoing connections: which addresses of the peer table to dial and when (into free slots up to
 * `DialPolicy`'s limit, a timer for the next one due), the dials themselves (in the process's turn budget), and
 * what a dial's failure or refusal means for the table and the dial log.
 */
export class Dialer {
  readonly #log = new DialLog();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly table: PeerTable,
    readonly options: ResolvedOptions,
    readonly host: DialerHost,
  ) {}

  /** A static peer address (`peers`, `addPeer()`): kept in the dial log and dialled (on the next `schedule()`). */
  addStatic(url: string, now: number): void {
    this.#log.addStatic(url);
    this.table.addPendingAddress(url, 'static', now);
  }

  /** The static peers with their state and the last dial error. */
  staticPeers(): StaticPeerInfo[] {
    return this.#log.staticPeers(this.table.snapshot(), this.table.pendingAddresses());
  }

  /** Starts the dials due now, as many as there are free slots, and sets a timer for the next due. */
  schedule(): void {
    clearTimeout(this.#timer);
    const links = this.host.links();
    if (!this.host.running() || links === undefined) return;
    // Only as many dials as there are free slots up to the dial limit (see DialPolicy); the rest wait for a
    // link to close, a dial to fail, or the limit to change.
    const now = Date.now();
    const { limit, recheckAt, waits } = links.dials.limit(now);
    const free = limit - links.live.size - this.table.dialsInFlight;
    let next = recheckAt;
    if (free > 0) {
      const due = waits === null ? this.table.dueDials(now) : this.table.dueDials(now).filter((dial) => !waits(dial));
      for (const target of due.length > free ? shuffled(due).slice(0, free) : due) this.#dial(target);
      const retry = due.length > free ? null : this.table.nextDialAt();
      if (retry !== null && (next === null || retry < next)) next = retry;
    }
    if (next !== null) this.#timer = setTimeout(() => this.schedule(), Math.max(0, next - Date.now()));
  }

  /** No more dials (the node stops). */
  stop(): void {
    clearTimeout(this.#timer);
  }

  /** A dialled link was established. */
  succeeded(target: DialTarget): void {
    this.#log.succeeded(target.url);
  }

  /**
   * A dialled connection closed before it was established. `linked`: the peer it reached (`remoteId`) is linked
   * already (another connection won), so the address is simply that peer's.
   */
  handshakeEnded(target: DialTarget, remoteId: string | null, reason: DisconnectReason, linked: boolean): void {
    if (linked && remoteId !== null) {
      this.table.dialSuperseded(target);
      this.table.attachAddress(remoteId, target.url, target.source, Date.now());
      return;
    }
    const { cause, code: failureCode } = describeHandshakeEnd(reason);
    this.host.failed(this.#log.failed(target.url, remoteId ?? target.peerId, cause, failureCode));
    const code = reason.type === 'close' ? reason.code : null;
    if (code === MeshCloseCode.SelfConnection) return this.table.markSelf(target.url);
    this.table.dialFailed(target, Date.now(), code !== null && isRefusal(code));
  }

  #dial(target: DialTarget): void {
    this.table.dialStarted(target);
    // A node that dials 60 addresses at once would stall its process (and every node in it) for a while: the
    // dials take their turn in the process's turn budget, after the handshakes under way.
    turnBudget.run(LANE_DIAL, () => {
      if (this.host.running()) this.#connect(target);
    });
  }

  #connect(target: DialTarget): void {
    const { maxPayload, handshakeTimeout, compression } = this.options;
    connect(target.url, { protocols: [MESH_SUBPROTOCOL], maxPayload, handshakeTimeout, perMessageDeflate: compressionFor(compression, false) }).then(
      (ws) => this.host.opened(ws, target),
      (error: Error) => {
        if (!this.host.running()) return;
        this.table.dialFailed(target, Date.now());
        const { cause, code } = describeConnectError(error);
        this.host.failed(this.#log.failed(target.url, target.peerId, cause, code));
        this.schedule();
      },
    );
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}
