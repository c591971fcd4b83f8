// The browser side of the wsmesh.v2 link handshake (src/browser/secure-socket.js on src/wire) against the
// Node side (src/wire with the node:crypto provider) over a real WebSocket, in Chromium: on a non-secure
// origin (the @noble path, as a page on http://<LAN address>) and on a secure one (WebCrypto).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { fromUtf8, utf8 } from '../../src/wire/bytes.js';
import { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from '../../src/wire/constants.js';
import { WireError } from '../../src/wire/errors.js';
import { createIdentity, derivePsk, type Identity } from '../../src/wire/identity.js';
import { SecureHandshake } from '../../src/wire/secure-link.js';
import { WebSocketServer } from '../../src/transport/server.ts';
import { serveWebUi } from '../../src/web/static-files.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { INSECURE_HOST } from './support/chromium.ts';
import { chromiumSuite } from './support/suite.ts';

const HANDSHAKE_PAGE_PATH = '/test-support/handshake-page.js';
const HANDSHAKE_PAGE_FILE = new URL('./support/handshake-page.js', import.meta.url);
const SECRET = 'correct horse battery staple';
const MESH = 'lab-mesh';

interface Accepted {
  remoteId: string | null;
  remoteHello: unknown;
  closeCode: number | null;
  error: string | null;
}

const suite = await chromiumSuite();
if (suite) {
  let http: Server;
  let wss: WebSocketServer;
  let port = 0;
  const nodeIdentity: Identity = createIdentity(nodeCrypto);
  let accepted: Accepted[] = [];
  let psk: Uint8Array;

  test.before(async () => {
    psk = await derivePsk(nodeCrypto, MESH, SECRET);
    http = createServer((request, response) => {
      if (request.url === '/blank.html') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>t</title>');
      if (request.url === HANDSHAKE_PAGE_PATH) return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(HANDSHAKE_PAGE_FILE));
      if (!serveWebUi(request, response)) response.writeHead(404).end();
    });
    wss = new WebSocketServer({ server: http, protocols: [MESH_SUBPROTOCOL] });
    wss.on('connection', (ws) => {
      const record: Accepted = { remoteId: null, remoteHello: null, closeCode: null, error: null };
      accepted.push(record);
      const handshake = new SecureHandshake({
        provider: nodeCrypto, initiator: false, identity: nodeIdentity, psk,
        hello: { v: MESH_PROTOCOL_VERSION, name: 'test-node', mesh: MESH, kind: 'node', listen: [], boot: 'b' },
      });
      let queue: Promise<unknown> = handshake.start();
      ws.on('close', (code) => (record.closeCode = code));
      ws.on('message', (data, isBinary) => {
        queue = queue.then(async () => {
          if (!isBinary) return ws.close(4000, 'binary only');
          try {
            const link = handshake.result;
            if (link === null) {
              for (const out of await handshake.receive(new Uint8Array(data as Buffer))) ws.send(out);
              if (handshake.result !== null) {
                record.remoteId = handshake.result.remote.id;
                record.remoteHello = handshake.result.remote.hello;
              }
              return;
            }
            // Echo every mesh message back, upper-cased, to prove both transport directions.
            const message = link.transport.open(new Uint8Array(data as Buffer));
            if (message !== null) for (const out of link.transport.seal(utf8(fromUtf8(message.data).toUpperCase()), false)) ws.send(out);
          } catch (error) {
            record.error = String(error);
            ws.close(error instanceof WireError ? error.code : 1011, String(error).slice(0, 100));
          }
        });
      });
    });
    port = await listenOnFreePort(http);
  });

  test.after(async () => {
    await wss.close();
    await closeServer(http);
  });

  /** Runs the page's handshake in Chromium at `origin`; returns what the page saw. */
  async function handshakeFrom(origin: string, secret: string) {
    accepted = [];
    const page = await suite!.session.newPage();
    await page.goto(`${origin}/blank.html`);
    const options = { url: `ws://127.0.0.1:${port}/`, secret, mesh: MESH };
    const seen = (await page.evaluate(`import('/test-support/handshake-page.js').then((m) => m.runHandshake(${JSON.stringify(options)}))`)) as Record<string, unknown>;
    await page.close();
    return seen;
  }

  for (const [what, host, secure, provider, storage] of [
    ['a non-secure origin (http://wsmesh.test): @noble, a raw identity key', INSECURE_HOST, false, 'noble', 'raw'],
    ['a secure origin (http://127.0.0.1): WebCrypto X25519, a non-extractable Ed25519 key', '127.0.0.1', true, 'webcrypto', 'webcrypto'],
  ] as const) {
    test(`page on ${what}: handshake with the Node side, both identities proven, transport both ways`, async () => {
      const seen = await handshakeFrom(`http://${host}:${port}`, SECRET);
      assert.equal([seen.secure, seen.provider, seen.storage], [secure, provider, storage]);
      assert.equal(seen.remote && { ...(seen.remote as object), ms: 0 }, { id: nodeIdentity.id, name: 'test-node', ms: 0 });
      assert.is(seen.echo, 'HELLO NODE');
      assert.is(accepted.length, 1);
      assert.is(accepted[0].remoteId, seen.id);
      assert.equal(accepted[0].remoteHello, { v: MESH_PROTOCOL_VERSION, name: 'page', mesh: MESH, kind: 'browser', listen: [], boot: 'boot-1' });
    });
  }

  test('page with a wrong secret: the node refuses message 3 with 4001, the page learns why', async () => {
    const seen = await handshakeFrom(`http://${INSECURE_HOST}:${port}`, 'not the right secret at all');
    assert.is(seen.closed, 4001);
    assert.match(String(seen.reason), /wrong mesh secret/);
    assert.is(accepted[0].remoteId, null);
  });
}

test.run();
