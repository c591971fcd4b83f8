// The browser side of the wsmesh.v2 link handshake (src/browser/secure-socket.js on src/wire) against the
// Node side (src/wire with the node:crypto provider) over a real WebSocket, in Chromium: on a non-secure
// origin (the @noble path, as a page on http://<LAN address>) and on a secure one (WebCrypto).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MESH_PROTOCOL_VERSION } from '../../src/wire/constants.js';
import { INSECURE_HOST } from './support/chromium.ts';
import { chromiumSuite } from './support/suite.ts';
import { BLANK_PAGE, handshakeScript, startWireResponder, type PageHandshake, type WireResponder } from './support/wire-responder.ts';

const SECRET = 'correct horse battery staple';
const MESH = 'lab-mesh';

const suite = await chromiumSuite();
if (suite) {
  let responder: WireResponder;

  test.before(async () => {
    responder = await startWireResponder(MESH, SECRET);
  });

  test.after(() => responder.close());

  /** Runs the page's handshake in Chromium at `origin`; returns what the page saw. */
  async function handshakeFrom(host: string, secret: string): Promise<PageHandshake> {
    responder.accepted.length = 0;
    const page = await suite!.session.newPage();
    await page.goto(`http://${host}:${responder.port}${BLANK_PAGE}`);
    const seen = (await page.evaluate(handshakeScript(responder.port, MESH, secret))) as PageHandshake;
    await page.close();
    return seen;
  }

  for (const [what, host, secure, provider, storage] of [
    ['a non-secure origin (http://wsmesh.test): @noble, a raw identity key', INSECURE_HOST, false, 'noble', 'raw'],
    ['a secure origin (http://127.0.0.1): WebCrypto X25519, a non-extractable Ed25519 key', '127.0.0.1', true, 'webcrypto', 'webcrypto'],
  ] as const) {
    test(`page on ${what}: handshake with the Node side, both identities proven, transport both ways`, async () => {
      const seen = await handshakeFrom(host, SECRET);
      assert.equal([seen.secure, seen.provider, seen.storage], [secure, provider, storage]);
      assert.equal(seen.remote && { ...seen.remote, ms: 0 }, { id: responder.identity.id, name: 'test-node', ms: 0 });
      assert.is(seen.echo, 'HELLO NODE');
      assert.is(responder.accepted.length, 1);
      assert.is(responder.accepted[0].remoteId, seen.id);
      assert.equal(responder.accepted[0].remoteHello, { v: MESH_PROTOCOL_VERSION, name: 'page', mesh: MESH, kind: 'browser', listen: [], boot: 'boot-1', batch: true });
    });
  }

  test('a node whose proof in message 2 fails: the page closes with 4001 and never sends its identity (message 3)', async () => {
    const forger = await startWireResponder(MESH, SECRET, { forgedProof: true });
    try {
      const page = await suite!.session.newPage();
      await page.goto(`http://${INSECURE_HOST}:${forger.port}${BLANK_PAGE}`);
      const seen = (await page.evaluate(handshakeScript(forger.port, MESH, SECRET))) as PageHandshake;
      await page.close();
      assert.equal([seen.closed, seen.error], [4001, "the peer's identity key did not sign its Noise static key"]);
      assert.is(forger.accepted[0].received, 1, 'the node got message 1 (an ephemeral key) and nothing else');
      assert.is(forger.accepted[0].closeCode, 4001);
    } finally {
      await forger.close();
    }
  });

  test('page with a wrong secret: the node refuses message 3 with 4001, the page learns why', async () => {
    const seen = await handshakeFrom(INSECURE_HOST, 'not the right secret at all');
    assert.is(seen.closed, 4001);
    assert.match(String(seen.reason), /wrong mesh secret/);
    assert.is(responder.accepted[0].remoteId, null);
  });
}

test.run();
