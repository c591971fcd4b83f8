/** What a client-side interop suite needs from the echo server it talks to. */
export interface CloseSeenByServer {
  code: number;
  reason: string;
}

export interface EchoServerUnderTest {
  /** Name of the implementation, e.g. "ws 8.x" or "python3-websockets 10.4". */
  readonly name: string;
  /** ws:// URL of the server for a connection at `path` (each test uses its own path). */
  url(path: string): string;
  /** The close code and reason the server received on the connection at `path`, once it has closed. */
  closeSeen(path: string): Promise<CloseSeenByServer>;
  stop(): Promise<void>;
}

/** Collects per-path close observations and lets tests wait for them. */
export class CloseLog {
  private readonly seen = new Map<string, CloseSeenByServer>();
  private readonly waiters = new Map<string, Array<(close: CloseSeenByServer) => void>>();

  record(path: string, close: CloseSeenByServer): void {
    this.seen.set(path, close);
    for (const resolve of this.waiters.get(path) ?? []) resolve(close);
    this.waiters.delete(path);
  }

  get(path: string): Promise<CloseSeenByServer> {
    const close = this.seen.get(path);
    if (close) return Promise.resolve(close);
    return new Promise((resolve) => this.waiters.set(path, [...(this.waiters.get(path) ?? []), resolve]));
  }
}
