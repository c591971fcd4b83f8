// Attacks on the page and through it, in a real Chromium: a forged page on a rebound DNS name reading the
// node (issue 10 item 7), and a link whose ?node= points the page at another node (item 10).
import { createServer, type Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { REBOUND_HOST, WITHOUT_LOCAL_NETWORK_ACCESS_CHECKS } from './support/chromium.ts';
import { startWebNode } from './support/nodes.ts';
import { until, waitForState, WAIT_MS } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';
import { startWireResponder, type WireResponder } from './support/wire-responder.ts';

const suite = await chromiumSuite({ args: [WITHOUT_LOCAL_NETWORK_ACCESS_CHECKS] });
if (suite) {
  let node: MeshNode;
  /** The page's own node for the ?node= tests (the Node side of the wsmesh.v2 link). */
  let home: WireResponder;
  /** A stranger's server: it counts every HTTP request and WebSocket attempt that reaches it. */
  let stranger: Server;
  let strangerPort = 0;
  const reached: string[] = [];

  test.before(async () => {
    node = await startWebNode({ name: 'home-node' });
    home = await startWireResponder('wsmesh', undefined, { node: true });
    stranger = createServer((request, response) => {
      reached.push(`${request.method} ${request.url}`);
      response.writeHead(404).end();
    });
    stranger.on('upgrade', (request, socket) => {
      reached.push(`upgrade ${request.url}`);
      socket.destroy();
    });
    strangerPort = await listenOnFreePort(stranger);
  });

  test.after(async () => {
    await closeServer(stranger);
    await home.close();
  });

  test('a forged page on a rebound DNS name reads nothing from the node (every route answers 421)', async () => {
    const page = await suite.session.newPage();
    const origin = `http://${REBOUND_HOST}:${node.port}`;
    // The attacker's page, served under its own name; its name then resolves to the node (here: always 127.0.0.1).
    await page.route(`${origin}/forged.html`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<script>
          window.stolen = Promise.all(['/status', '/', '/app.js', '/access'].map(async (path) => {
            try {
              const response = await fetch(path);
              return { path, status: response.status, body: await response.text() };
            } catch (error) {
              return { path, status: 0, body: String(error) };
            }
          }));
        </script>`,
      }),
    );
    await page.goto(`${origin}/forged.html`);
    const stolen = (await page.evaluate('window.stolen')) as Array<{ path: string; status: number; body: string }>;
    for (const { path, status, body } of stolen) {
      assert.is(status, 421, `${path}: ${body.slice(0, 200)}`);
      assert.not.ok(body.includes(node.id) || body.includes('home-node'), `${path} leaks: ${body.slice(0, 200)}`);
    }
    await page.close();
  });

  test('?node= naming another node: nothing reaches it until the user confirms in a box that names it', async () => {
    const page = await suite.session.newPage();
    const other = `ws://127.0.0.1:${strangerPort}/`;
    await page.goto(`http://127.0.0.1:${home.port}/?node=${encodeURIComponent(other)}`);
    const box = page.locator('#node-confirm');
    await box.waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match((await box.textContent()) ?? '', `127.0.0.1:${strangerPort}`);
    // The page has settled (module loaded, box shown): it opened nothing to the other node.
    await page.waitForLoadState('networkidle');
    assert.equal(reached, [], 'no request reached the other node before the user allowed it');
    await page.click('#node-confirm-yes');
    await until(async () => reached.length > 0, 'the page contacts the node the user allowed');
    assert.ok(await box.isHidden());
    await page.close();
  });

  test('?node= declined: the page stays on its own node', async () => {
    reached.length = 0;
    const page = await suite.session.newPage();
    await page.goto(`http://127.0.0.1:${home.port}/?node=${encodeURIComponent(`ws://127.0.0.1:${strangerPort}/`)}`);
    await page.click('#node-confirm-no');
    await waitForState(page, 'open');
    assert.match((await page.textContent('#status')) ?? '', 'test-node');
    assert.equal(reached, []);
    await page.close();
  });

  test('?node= naming the page own node asks nothing', async () => {
    const page = await suite.session.newPage();
    await page.goto(`http://127.0.0.1:${home.port}/?node=${encodeURIComponent(`ws://127.0.0.1:${home.port}/`)}`);
    await waitForState(page, 'open');
    assert.ok(await page.locator('#node-confirm').isHidden());
    await page.close();
  });
}

test.run();
