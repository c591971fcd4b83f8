// A line of three nodes (alpha - beta - gamma) with a page at each end: the pages chat across the
// relay; then a first-time visitor opens alpha's page and the screenshot shows what it sees, before typing
// anything (test-artifacts/browser/web-ui.png; with WSMESH_UPDATE_DOCS_SCREENSHOT=1 also docs/web-ui.png,
// the README's picture).
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveScreenshot } from './support/chromium.ts';
import { eventually, pageUrl, peerEntry, startWebNode } from './support/nodes.ts';
import { joinMesh, pagePeerId, peerRow, sendChat, sendDirect, until, waitForChat } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';

const suite = await chromiumSuite();
if (suite) {

  test('pages at both ends of a line of nodes chat through the middle node', async () => {
    const alpha = await startWebNode({ name: 'alpha' });
    const beta = await startWebNode({ name: 'beta', peers: [`ws://127.0.0.1:${alpha.port}/`] });
    const gamma = await startWebNode({ name: 'gamma', peers: [`ws://127.0.0.1:${beta.port}/`] });
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

    // A first-time visitor: another origin of alpha (localhost), so no name is remembered; it types nothing.
    const visitor = await suite.session.newPage();
    await visitor.goto(`http://localhost:${alpha.port}/`);
    const visitorId = await pagePeerId(visitor);
    await peerRow(visitor, cydId);
    assert.ok(await visitor.isVisible('#join'));
    assert.is(await visitor.inputValue('#join-name'), `guest-${visitorId.slice(0, 4)}`);
    await cyd.click('#clear-target');
    await sendChat(cyd, 'Welcome, whoever just opened the page!');
    await waitForChat(visitor, 'Welcome, whoever just opened the page!');
    gamma.broadcast('gamma: all links up');
    await waitForChat(visitor, 'gamma: all links up');
    const plot = visitor.locator(`tr[data-peer-id="${beta.id}"] svg.rtt-plot polyline`);
    await until(async () => ((await plot.getAttribute('points')) ?? '').split(' ').length >= 8, 'a few RTT samples of beta');
    const path = await saveScreenshot(visitor, 'web-ui');
    if (process.env.WSMESH_UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(path, fileURLToPath(new URL('../../docs/web-ui.png', import.meta.url)));
    assert.equal(suite.session.pageErrors, []);
  });
}

test.run();
