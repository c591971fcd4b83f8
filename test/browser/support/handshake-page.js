// Runs in the page (served by the test at /test-support/handshake-page.js): one wsmesh.v2 link handshake
// of the browser client's code with the node at `url`, one message each way, and what the page saw
// (`remote.ms`: from opening the WebSocket to the end of the handshake; `pskMs`: deriving the PSK).
import { derivePsk } from '/wire/identity.js';
import { browserHandshake, browserHello, chooseProvider, SecureSocket } from '/browser/secure-socket.js';
import { ephemeralIdentityKey } from '/browser/identity-key.js';

export async function runHandshake({ url, secret, mesh, provider = 'auto' }) {
  const chosen = await chooseProvider(provider);
  const key = await ephemeralIdentityKey({ webCrypto: chosen.name === 'webcrypto' });
  const pskStarted = performance.now();
  const psk = await derivePsk(chosen.provider, mesh, secret);
  const pskMs = performance.now() - pskStarted;
  const handshake = await browserHandshake({ provider: chosen.provider, key, psk, hello: browserHello('page', mesh, 'boot-1') });
  const base = { secure: isSecureContext, provider: chosen.name, storage: key.storage, id: key.id, pskMs };
  return new Promise((resolve) => {
    let remote = null;
    const started = performance.now();
    const socket = new SecureSocket(url, handshake, {
      onOpen(result) {
        remote = { id: result.remote.id, name: result.remote.hello.name, ms: performance.now() - started };
        socket.send(new TextEncoder().encode('hello node'), false);
      },
      onMessage(data) {
        resolve({ ...base, remote, echo: new TextDecoder().decode(data) });
        socket.close(1000, 'done');
      },
      onClose(code, reason, error) {
        resolve({ ...base, closed: code, reason, error: error?.message ?? null });
      },
    });
  });
}
