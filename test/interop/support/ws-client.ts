import { WebSocket as WsClient } from 'ws';
import type { ClientOptions } from 'ws';
import { withTimeout } from '../../helpers/timeout.ts';
import { Inbox } from './inbox.ts';

export interface WsPeerClient {
  ws: WsClient;
  inbox: Inbox;
}

/** A `ws` client connected to `url`, with every event recorded in an inbox. */
export async function connectWsClient(url: string, options: ClientOptions = {}): Promise<WsPeerClient> {
  const ws = new WsClient(url, options);
  const inbox = new Inbox();
  ws.on('message', (data: Buffer, isBinary) => inbox.onMessage(data, isBinary));
  ws.on('ping', inbox.onPing);
  ws.on('pong', inbox.onPong);
  ws.on('error', inbox.onError);
  // The DOM-style event carries wasClean (both close frames exchanged).
  ws.addEventListener('close', (event) => inbox.onClose({ code: event.code, reason: event.reason, wasClean: event.wasClean }));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    }),
    20_000,
    `ws client connecting to ${url}`,
  );
  return { ws, inbox };
}
