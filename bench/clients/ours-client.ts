import type * as ConnectModule from '../../src/transport/connect.ts';
import { importOurs } from '../lib/ours.ts';
import type { ClientSocket } from './echo-client.ts';

function ignore(): void {}

export async function openClient(url: string): Promise<ClientSocket> {
  const { connect } = (await importOurs('transport/connect')) as typeof ConnectModule;
  // Text as validated Buffers, as ws hands them out, so both clients do the same work.
  const socket = await connect(url, { textAsBuffer: true });
  socket.on('error', ignore);
  return {
    send: (data) => socket.send(data),
    onMessage: (listener) => socket.on('message', listener),
    close: () => socket.terminate(),
  };
}
