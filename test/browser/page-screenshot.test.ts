// A line of three nodes (alpha - beta - gamma) with a page at each end: the pages chat across the
// relay, and the page's screenshot is saved (test-artifacts/browser/web-ui.png; with
// WSMESH_UPDATE_DOCS_SCREENSHOT=1 also docs/web-ui.png, the README's picture).
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveScreenshot } from './support/chromium.ts';
import { eventually, pageUrl, peerEntry, startWebNode } from './support/nodes.ts';
import { joinMesh, peerRow, sendChat, sendDirect, until, waitForChat } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';

const suite = await chromiumSuite();
if (suite) {

  test('pages at both ends of a line of nodes chat through the middle node', async () => {
    // Two peers each at the ends (beta and a page): else alpha and gamma link directly once they learn
    // each other's address through beta.
    const alpha = await startWebNode({ name: 'alpha', maxPeers: 2, maxPeersPerAddress: 2 });
    const beta = await startWebNode({ name: 'beta', peers: [`ws://127.0.0.1:${alpha.port}/`] });
    const gamma = await startWebNode({ name: 'gamma', peers: [`ws://127.0.0.1:${beta.port}/`], maxPeers: 2, maxPeersPerAddress: 2 });
    await eventually(() => peerEntry(alpha, gamma.id)?.reachable, 'alpha reaches gamma through beta');

    const ada = await suite.session.newPage();
    const adaId = await joinMesh(ada, pageUrl(alpha), 'Ada');
    const cyd = await suite.session.newPage();
    const cydId = await joinMesh(cyd, pageUrl(gamma), 'Cyd');

    const [, , kind, state, , via] = await peerRow(ada, cydId);
    assert.equal([kind, state, via], ['browser', 'relayed', 'beta']);
    await sendChat(ada, 'Hello mesh! Anyone around?');
    assert.is((await waitForChat(cyd, 'Hello mesh! Anyone around?')).sender, 'Ada');
    gamma.broadcast('gamma here, all links up');
    await waitForChat(ada, 'gamma here, all links up');
    await sendChat(cyd, 'Hi Ada, Cyd on gamma');
    await waitForChat(ada, 'Hi Ada, Cyd on gamma');
    await sendDirect(cyd, adaId, 'lunch at noon? (just for you)');
    assert.equal((await waitForChat(ada, 'lunch at noon? (just for you)')).sender, 'Cyd → you');
    await beta.send(adaId, 'beta: your link looks fine');
    await waitForChat(ada, 'beta: your link looks fine');

    const plot = ada.locator(`tr[data-peer-id="${beta.id}"] svg.rtt-plot polyline`);
    await until(async () => ((await plot.getAttribute('points')) ?? '').split(' ').length >= 8, 'a few RTT samples of beta');
    await ada.click(`#peer-table tbody tr[data-peer-id="${gamma.id}"]`);
    await ada.fill('#message', 'on my way');
    const path = await saveScreenshot(ada, 'web-ui');
    if (process.env.WSMESH_UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(path, fileURLToPath(new URL('../../docs/web-ui.png', import.meta.url)));
    assert.equal(suite.session.pageErrors, []);
  });
}

test.run();
