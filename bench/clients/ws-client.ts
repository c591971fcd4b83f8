import WebSocket from 'ws';
import type { ClientSocket } from './echo-client.ts';

export function openClient(url: string): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('error', reject);
    socket.once('open', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve({
        send: (data) => socket.send(data),
        onMessage: (listener) => socket.on('message', listener),
        close: () => socket.terminate(),
      });
    });
  });
}
