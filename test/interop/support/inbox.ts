import { describeMismatch } from '../../helpers/payloads.ts';
import { withTimeout } from '../../helpers/timeout.ts';

export interface ReceivedMessage {
  /** As delivered: our WebSocket gives text as string; `ws` gives a Buffer for both kinds. */
  data: string | Buffer;
  isBinary: boolean;
}

export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
}

const WAIT_MS = 60_000;

/** Items delivered in order to whoever waits for them; a close ends every pending and later wait. */
class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (item: T) => void; reject: (error: Error) => void }> = [];
  private ended: Error | null = null;

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.items.push(item);
  }

  end(error: Error): void {
    this.ended = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  next(what: string): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.ended) return Promise.reject(this.ended);
    const item = new Promise<T>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return withTimeout(item, WAIT_MS, `waiting for ${what}`);
  }
}

/** Everything a WebSocket (ours or `ws`) received, in order, for tests to await. */
export class Inbox {
  private readonly messages = new Queue<ReceivedMessage>();
  private readonly pings = new Queue<Buffer>();
  private readonly pongs = new Queue<Buffer>();
  readonly errors: Error[] = [];
  private resolveClosed!: (event: CloseEvent) => void;
  readonly closed: Promise<CloseEvent> = new Promise((resolve) => (this.resolveClosed = resolve));

  onMessage = (data: string | Buffer, isBinary: boolean): void => this.messages.push({ data, isBinary });
  onPing = (payload: Buffer): void => this.pings.push(payload);
  onPong = (payload: Buffer): void => this.pongs.push(payload);
  onError = (error: Error): void => void this.errors.push(error);
  onClose = (event: CloseEvent): void => {
    const ended = new Error(`connection closed (code ${event.code}, reason ${JSON.stringify(event.reason)})`);
    this.messages.end(ended);
    this.pings.end(ended);
    this.pongs.end(ended);
    this.resolveClosed(event);
  };

  nextMessage(): Promise<ReceivedMessage> {
    return this.messages.next('a message');
  }

  nextPing(): Promise<Buffer> {
    return this.pings.next('a ping');
  }

  nextPong(): Promise<Buffer> {
    return this.pongs.next('a pong');
  }

  waitForClose(): Promise<CloseEvent> {
    return withTimeout(this.closed, WAIT_MS, 'waiting for the close event');
  }
}

/**
 * Checks a received message against what was sent: same kind (text/binary), same bytes. With
 * `textAsString`, a text message must be delivered as a string (our API), not as bytes.
 */
export function messageMismatch(
  received: ReceivedMessage,
  expected: string | Uint8Array,
  textAsString: boolean,
): string | null {
  const expectBinary = typeof expected !== 'string';
  if (received.isBinary !== expectBinary) {
    return `expected a ${expectBinary ? 'binary' : 'text'} message, got ${received.isBinary ? 'binary' : 'text'}`;
  }
  if (!expectBinary && textAsString && typeof received.data !== 'string') return 'text message delivered as bytes';
  if (expectBinary && typeof received.data === 'string') return 'binary message delivered as a string';
  return describeMismatch(received.data, expected);
}
