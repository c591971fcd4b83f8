// The web UI in a real Chromium when things go wrong: a page from a foreign origin, a mesh secret
// (missing, wrong, right), and a node that restarts under its page.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode } from '../../src/mesh/node.ts';
import { serveWebUi } from '../../src/web/static-files.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { INSECURE_HOST, saveScreenshot } from './support/chromium.ts';
import { Inbox, eventually, pageUrl, peerEntry, startWebNode } from './support/nodes.ts';
import { tempKeyFile } from '../mesh/support.ts';
import { joinMesh, pagePeerId, sendChat, statusText, waitForState, WAIT_MS } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';

const suite = await chromiumSuite();
if (suite) {
  let foreign: Server;
  let foreignOrigin = '';

  test.before(async () => {
    foreign = createServer((request, response) => {
      if (!serveWebUi(request, response)) response.writeHead(404).end();
    });
    foreignOrigin = `http://127.0.0.1:${await listenOnFreePort(foreign)}`;
  });

  test.after(async () => {
    if (foreign !== undefined) await closeServer(foreign);
  });

  test('a page served from another origin is refused with 403, and the page says why', async () => {
    const alpha = await startWebNode({ name: 'alpha' });
    const page = await suite.session.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(`${foreignOrigin}/?node=ws://127.0.0.1:${alpha.port}/`);
    await page.click('#node-confirm-yes', { timeout: WAIT_MS });
    await waitForState(page, 'stopped', 'origin-refused');
    const text = await statusText(page);
    assert.match(text, `does not accept connections from pages at ${foreignOrigin}`);
    assert.match(text, `--allow-origin ${foreignOrigin}`);
    await saveScreenshot(page, 'page-origin-refused');

    await page.evaluate(`new Promise((resolve) => {
      const socket = new WebSocket('ws://127.0.0.1:${alpha.port}/', 'wsmesh.v2');
      socket.onclose = resolve;
    })`);
    await eventually(() => consoleLines.some((line) => line.includes('Unexpected response code: 403')), 'Chromium reports the 403');
    assert.equal(alpha.peers(), [], 'the node never saw a peer');
    await page.close();
  });

  test('--allow-origin lets a page from that origin join', async () => {
    const allowing = await startWebNode({ name: 'allowing', allowOrigins: [foreignOrigin] });
    const page = await suite.session.newPage();
    const id = await joinMesh(page, `${foreignOrigin}/?node=ws://127.0.0.1:${allowing.port}/`, 'Friend', { confirmNode: true });
    assert.is(peerEntry(allowing, id)?.kind, 'browser');
    await page.close();
  });

  test('with a mesh secret: the page asks for it and shows nothing else, says when it is wrong, joins with the right one', async () => {
    const gamma = await startWebNode({ name: 'gamma', secret: 'correct horse battery staple' });
    const page = await suite.session.newPage();
    await page.goto(pageUrl(gamma));
    await waitForState(page, 'stopped', 'secret-required');
    await page.waitForSelector('#secret-form', { state: 'visible', timeout: WAIT_MS });
    assert.ok(await page.isHidden('#mesh'), 'nothing of the mesh before the secret');

    for (const wrong of ['guess', 'a long but wrong secret']) {
      await page.fill('#secret', wrong);
      await page.click('#secret-form button[type=submit]');
      await waitForState(page, 'stopped', 'wrong-secret');
      assert.match(await statusText(page), /^Wrong secret/);
      assert.match((await page.textContent('#secret-hint')) ?? '', 'Wrong secret, try again.');
      assert.ok(await page.isHidden('#mesh'));
    }
    await saveScreenshot(page, 'page-wrong-secret');

    await page.fill('#secret', 'correct horse battery staple');
    await page.click('#secret-form button[type=submit]');
    await waitForState(page, 'open');
    const id = await pagePeerId(page);
    assert.is(peerEntry(gamma, id)?.state, 'connected');
    await page.close();
  });

  test('on a non-secure origin (plain http, as on a LAN address) the secret works the same, on @noble', async () => {
    const epsilon = await startWebNode({ name: 'epsilon', secret: 'pässwörd of twelve', allowHosts: [INSECURE_HOST] });
    const page = await suite.session.newPage();
    await page.goto(`http://${INSECURE_HOST}:${epsilon.port}/`);
    assert.is(await page.evaluate('isSecureContext'), false);
    await waitForState(page, 'stopped', 'secret-required');
    await page.fill('#secret', 'pässwörd of twelve');
    await page.click('#secret-form button[type=submit]');
    await waitForState(page, 'open');
    assert.match((await page.textContent('#link-info')) ?? '', '@noble');
    await page.close();
  });

  test('node A restarts: the page shows the outage, reconnects by itself, and chat works again', async () => {
    const other = await startWebNode({ name: 'other' });
    const { keyFile } = tempKeyFile();
    let delta = await startWebNode({ name: 'delta', keyFile, ephemeralIdentity: false, peers: [`ws://127.0.0.1:${other.port}/`] });
    const { port } = delta;
    const page = await suite.session.newPage();
    const pageId = await joinMesh(page, pageUrl(delta), 'Rita');
    await eventually(() => peerEntry(other, pageId)?.reachable, 'the page is known across the mesh');
    await page.click(`#peer-table tbody tr[data-peer-id="${other.id}"]`);

    await delta.stop();
    await page.waitForSelector('#status[data-state="waiting"], #status[data-state="probing"], #status[data-state="connecting"]', {
      timeout: WAIT_MS,
    });
    await waitForState(page, 'waiting');
    assert.match(await statusText(page), /Reconnecting in \d+ s \(attempt \d+\)/);
    assert.match((await page.locator('#chat-log li.notice').allTextContents()).join('\n'), /Connection lost: Lost the connection to the node/);
    await saveScreenshot(page, 'page-node-restarting');

    delta = await startWebNode({ name: 'delta', keyFile, ephemeralIdentity: false, port, peers: [`ws://127.0.0.1:${other.port}/`] });
    await waitForState(page, 'open');
    assert.match(await statusText(page), 'Connected to node delta');
    const otherInbox = new Inbox(other);
    await eventually(() => peerEntry(other, pageId)?.reachable, 'the page is back in the mesh');
    assert.is(await page.getAttribute('#target', 'data-target'), other.id, 'the direct-message target survived the outage');
    await sendChat(page, 'back after the restart');
    const received = await otherInbox.waitForText('back after the restart');
    assert.equal([received.info.from, received.info.to], [pageId, other.id]);
    await page.close();
  });
}

test.run();
