import { WsHandshakeError } from '../protocol/errors.ts';
import type { DisconnectReason } from './link.ts';
import type { PeerInfo, PendingAddress, PeerState } from './peer-table.ts';

/** One failed dial of a peer address: `peer:dial-failed`. */
export interface DialFailure {
  /** The address dialled. */
  url: string;
  /** Failures of this address in a row (1 for the first; back to 0 once a dial succeeds). */
  attempt: number;
  /** Why, in words: "connection refused (nothing listens there)", "not a wsmesh node: ...", "refused by the peer: 4002 ...". */
  cause: string;
  /** The close code (4001 wrong secret, 4002 wrong mesh, ...) or HTTP status involved, else null. */
  code: number | null;
  /** The peer id, when the dial got as far as its hello (or the address was tied to a known peer). */
  peerId: string | null;
}

/** A configured static peer (`peers` option, `--peer`, `addPeer()`), as `staticPeers()` and `/status` list it. */
export interface StaticPeerInfo {
  url: string;
  /** The id behind the address once a dial reached it, else null. */
  peerId: string | null;
  state: PeerState;
  /** Failures in a row since the last successful dial. */
  failures: number;
  /** What the last failed dial ended with, null when it never failed or connected since. */
  lastError: string | null;
  /** Epoch ms of the next dial, when one is scheduled. */
  nextRetry: number | null;
}

/** Says why a dial that never became a WebSocket failed. */
export function describeConnectError(error: Error): { cause: string; code: number | null } {
  if (error instanceof WsHandshakeError) {
    return { cause: `not a wsmesh node: ${error.message}`, code: error.status ?? null };
  }
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno === 'ECONNREFUSED') return { cause: 'connection refused (nothing listens there)', code: null };
  return { cause: errno !== undefined && !error.message.includes(errno) ? `${error.message} (${errno})` : error.message, code: null };
}

/** Says why an outbound connection ended before the mesh handshake finished. */
export function describeHandshakeEnd(reason: DisconnectReason): { cause: string; code: number | null } {
  switch (reason.type) {
    case 'close': {
      const who = reason.by === 'remote' ? 'refused by the peer' : 'refused by this node';
      return { cause: `${who}: ${reason.code}${reason.reason === '' ? '' : ` ${reason.reason}`}`, code: reason.code };
    }
    case 'ping-timeout':
      return { cause: 'no answer during the handshake', code: null };
    case 'error':
      return { cause: reason.message, code: null };
  }
}

/** Consecutive failures and the last error per dialled address; the node reports each failure as an event. */
export class DialLog {
  readonly #entries = new Map<string, { attempt: number; lastError: string | null }>();
  readonly #static = new Set<string>();

  addStatic(url: string): void {
    this.#static.add(url);
  }

  failed(url: string, peerId: string | null, cause: string, code: number | null): DialFailure {
    const entry = this.#entries.get(url) ?? { attempt: 0, lastError: null };
    entry.attempt += 1;
    entry.lastError = cause;
    this.#entries.set(url, entry);
    return { url, attempt: entry.attempt, cause, code, peerId };
  }

  succeeded(url: string): void {
    this.#entries.delete(url);
  }

  /** The configured static addresses, in the order they were added, with their table state. */
  staticPeers(peers: PeerInfo[], pending: PendingAddress[]): StaticPeerInfo[] {
    return [...this.#static].map((url) => {
      const log = this.#entries.get(url);
      const lastError = log?.lastError ?? null;
      const owner = peers.find((peer) => peer.addresses.some((address) => address.url === url));
      if (owner !== undefined) {
        return { url, peerId: owner.id, state: owner.state, failures: log?.attempt ?? 0, lastError: owner.state === 'connected' ? null : lastError, nextRetry: owner.nextRetry };
      }
      const waiting = pending.find((address) => address.url === url);
      return { url, peerId: null, state: waiting?.state ?? 'lost', failures: log?.attempt ?? 0, lastError, nextRetry: waiting?.nextRetry ?? null };
    });
  }
}
