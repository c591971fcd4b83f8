import { connect } from '../../../src/transport/connect.ts';
import type { ConnectOptions } from '../../../src/transport/connect.ts';
import type { WebSocket } from '../../../src/transport/websocket.ts';
import { withTimeout } from '../../helpers/timeout.ts';
import { Inbox } from './inbox.ts';

export interface OurClient {
  ws: WebSocket;
  inbox: Inbox;
}

/** Our client connected to `url`, with every event recorded in an inbox from the first byte on. */
export async function connectOurClient(url: string, options: ConnectOptions = {}): Promise<OurClient> {
  const ws = await withTimeout(connect(url, options), 20_000, `connecting to ${url}`);
  const inbox = new Inbox();
  ws.on('message', inbox.onMessage);
  ws.on('ping', inbox.onPing);
  ws.on('pong', inbox.onPong);
  ws.on('error', inbox.onError);
  ws.on('close', (code, reason, wasClean) => inbox.onClose({ code, reason, wasClean }));
  return { ws, inbox };
}
