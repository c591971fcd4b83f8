import type { AddressInfo } from 'node:net';
import type { Server as NetServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Listens on an OS-chosen free port (port 0) on loopback and resolves with that port. */
export function listenOnFreePort(server: NetServer, host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a listening server; resolves (does not reject) when it was not listening. */
export function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
