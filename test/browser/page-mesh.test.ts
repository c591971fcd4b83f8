// The web UI in a real Chromium: two nodes on 127.0.0.1 (B dials A), pages on both, chat and direct
// messages through the mesh, the peer table with RTTs, and the wsmesh/browser client API.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import type { MeshNode } from '../../src/mesh/node.ts';
import { saveScreenshot } from './support/chromium.ts';
import { Inbox, eventually, pageUrl, peerEntry, startWebNode } from './support/nodes.ts';
import { joinMesh, pagePeerId, peerRow, sendChat, sendDirect, until, waitForChat, waitForState, WAIT_MS } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';

const BETA_NAME = 'beta <img src=x onerror="window.__xss=1">';

const suite = await chromiumSuite();
if (suite) {
  let alpha: MeshNode;
  let beta: MeshNode;
  let alphaInbox: Inbox;
  let betaInbox: Inbox;
  let ada: Page;
  let adaId = '';
  let bob: Page;
  let bobId = '';
  let cyd: Page;
  let cydId = '';

  test.before(async () => {
    alpha = await startWebNode({ name: 'alpha' });
    beta = await startWebNode({ name: BETA_NAME, peers: [`ws://127.0.0.1:${alpha.port}/`] });
    alphaInbox = new Inbox(alpha);
    betaInbox = new Inbox(beta);
    await eventually(() => peerEntry(alpha, beta.id)?.state === 'connected', 'alpha and beta are linked');
  });

  test('a page on node A lists node B; every node lists the page as a browser peer reached via A', async () => {
    ada = await suite.session.newPage();
    adaId = await joinMesh(ada, pageUrl(alpha), 'Ada');
    assert.match(adaId, /^[0-9a-f]{32}$/);
    const [name, id, kind, state, direction, via] = await peerRow(ada, beta.id);
    assert.equal([name, id, kind, state, direction, via], [BETA_NAME, beta.id.slice(0, 8), 'node', 'connected', 'inbound', '–']);
    const [alphaName] = await peerRow(ada, alpha.id);
    assert.is(alphaName, 'alpha (your node)');
    const onAlpha = await eventually(() => peerEntry(alpha, adaId)?.name === 'Ada' && peerEntry(alpha, adaId), 'alpha lists the page under its name');
    assert.equal([onAlpha.name, onAlpha.kind, onAlpha.state, onAlpha.direction], ['Ada', 'browser', 'connected', 'inbound']);
    const onBeta = await eventually(() => peerEntry(beta, adaId)?.name === 'Ada' && peerEntry(beta, adaId), 'beta lists the page under its name');
    assert.equal([onBeta.name, onBeta.kind, onBeta.reachable, onBeta.via], ['Ada', 'browser', true, alpha.id]);
  });

  test('a reload rejoins by itself as the same peer (id and name kept in the browser)', async () => {
    await ada.reload();
    await waitForState(ada, 'open');
    assert.is(await pagePeerId(ada), adaId);
    assert.match((await ada.textContent('#whoami')) ?? '', /^You are Ada \(/);
    await eventually(() => peerEntry(alpha, adaId)?.state === 'connected', 'alpha has the page back');
  });

  test('chat typed in the page reaches node B, sent by the page', async () => {
    await sendChat(ada, 'hello from Ada');
    const received = await betaInbox.waitForText('hello from Ada');
    assert.equal([received.info.from, received.info.to], [adaId, null]);
    assert.is((await alphaInbox.waitForText('hello from Ada')).info.from, adaId);
    const line = await waitForChat(ada, 'hello from Ada');
    assert.equal([line.sender, line.direct], ['Ada', false]);
  });

  test('a message from node B appears in the page under B name, as text and never as HTML', async () => {
    const text = '<script>window.__xss=2</script><b>bold?</b>';
    beta.broadcast(text);
    // Right after the reload the page may not have the node's peer list yet: the line is named once it arrives.
    await until(async () => (await waitForChat(ada, text)).sender === BETA_NAME, 'the line names its sender');
    const line = await waitForChat(ada, text);
    assert.equal([line.sender, line.text, line.direct], [BETA_NAME, text, false]);
    assert.is(await ada.locator('#chat-log img, #chat-log b, #chat-log script, #peer-table img').count(), 0);
    assert.is(await ada.evaluate('window.__xss'), undefined);
  });

  test('a second tab on the same node gets its own peer id', async () => {
    bob = await suite.session.newPage();
    bobId = await joinMesh(bob, pageUrl(alpha), 'Bob');
    assert.is.not(bobId, adaId);
    await peerRow(ada, bobId);
    const [name, , kind] = await peerRow(bob, adaId);
    assert.equal([name, kind], ['Ada', 'browser']);
  });

  test('a direct message from the page reaches only its target (node B)', async () => {
    await sendDirect(ada, beta.id, 'just for beta');
    const received = await betaInbox.waitForText('just for beta');
    assert.equal([received.info.from, received.info.to], [adaId, beta.id]);
    await ada.locator('#chat-log li.direct .delivery', { hasText: 'delivered' }).waitFor({ timeout: WAIT_MS });
    await ada.click('#clear-target');
    assert.is(await ada.textContent('#target'), 'To everyone');
    await sendChat(ada, 'after the direct one');
    await waitForChat(bob, 'after the direct one');
    assert.not.ok(alphaInbox.texts().includes('just for beta'), 'alpha relayed it without delivering it');
    assert.not.ok((await bob.locator('#chat-log').textContent())?.includes('just for beta'), 'the other tab never saw it');
  });

  test('node B direct message to a page is acknowledged by it and shown only there', async () => {
    await beta.send(bobId, 'psst, Bob');
    const line = await waitForChat(bob, 'psst, Bob');
    assert.equal([line.sender, line.direct], [`${BETA_NAME} → you`, true]);
    beta.broadcast('marker after psst');
    await waitForChat(ada, 'marker after psst');
    assert.not.ok((await ada.locator('#chat-log').textContent())?.includes('psst, Bob'));
  });

  test('two tabs on different nodes chat with each other through the mesh', async () => {
    cyd = await suite.session.newPage();
    cydId = await joinMesh(cyd, pageUrl(beta), 'Cyd');
    await until(async () => (await peerRow(cyd, adaId))[0] === 'Ada', 'Cyd sees Ada under her chosen name');
    // The sender's name shown below comes from Ada's peer table: wait until Ada's page has heard of Cyd too.
    await until(async () => (await peerRow(ada, cydId))[0] === 'Cyd', 'Ada sees Cyd under her chosen name');
    const [adaName, , adaKind, adaState, , adaVia] = await peerRow(cyd, adaId);
    assert.equal([adaName, adaKind, adaState, adaVia], ['Ada', 'browser', 'relayed', 'alpha']);
    await sendChat(ada, 'Ada to everyone, Cyd included');
    assert.equal((await waitForChat(cyd, 'Ada to everyone, Cyd included')).sender, 'Ada');
    await sendDirect(cyd, adaId, 'Cyd to Ada only');
    assert.equal((await waitForChat(ada, 'Cyd to Ada only')).sender, 'Cyd → you');
    await cyd.locator('#chat-log li.direct .delivery', { hasText: 'delivered' }).waitFor({ timeout: WAIT_MS });
    await cyd.click('#clear-target');
    await sendChat(cyd, 'Cyd to everyone');
    await waitForChat(bob, 'Cyd to everyone');
    assert.not.ok((await bob.locator('#chat-log').textContent())?.includes('Cyd to Ada only'));
  });

  test('the peer table shows round-trip times and plots them', async () => {
    const rttCell = ada.locator(`#peer-table tbody tr[data-peer-id="${beta.id}"] td.rtt`);
    const plot = ada.locator(`tr[data-peer-id="${beta.id}"] svg.rtt-plot polyline`);
    await until(async () => ((await plot.getAttribute('points')) ?? '').split(' ').length >= 3, 'the RTT plot of beta has points');
    assert.match((await rttCell.textContent()) ?? '', /^\d+(\.\d+)? ms$/);
    const [, , , , , , alphaRtt] = await peerRow(ada, alpha.id);
    assert.match(alphaRtt, /^\d+(\.\d+)? ms$/, 'the page own link to its node has an RTT too');
  });

  test('wsmesh/browser in a page: a 1 MiB binary broadcast and an acknowledged direct message', async () => {
    const script = `(async () => {
      const { connectMesh, ephemeralIdentityKey } = await import('/browser/index.js');
      const client = connectMesh(location.origin + '/', { name: 'api-client', identity: await ephemeralIdentityKey() });
      await new Promise((resolve, reject) => {
        client.on('open', resolve);
        client.on('status', (status) => status.state === 'stopped' && reject(new Error(status.problem.message)));
      });
      await new Promise((resolve) => {
        const check = () => client.peers.some((peer) => peer.id === ${JSON.stringify(beta.id)}) && resolve();
        client.on('peers', check);
        check();
      });
      const data = new Uint8Array(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = i % 251;
      client.broadcast(data);
      await client.send(${JSON.stringify(beta.id)}, 'api direct');
      const peers = client.peers.map((peer) => peer.id);
      client.close();
      return { id: client.id, peers, state: client.status.state };
    })()`;
    const result = (await bob.evaluate(script)) as { id: string; peers: string[]; state: string };
    assert.is(result.state, 'stopped');
    assert.ok(result.peers.includes(beta.id) && result.peers[0] === alpha.id, 'its node first, then the mesh');
    const direct = await betaInbox.waitForText('api direct');
    assert.equal([direct.info.from, direct.info.to], [result.id, beta.id]);
    const binary = await eventually(() => betaInbox.messages.find((message) => message.info.from === result.id && Buffer.isBuffer(message.data)), 'the 1 MiB message');
    const bytes = binary.data as Buffer;
    assert.is(bytes.length, 1 << 20);
    assert.ok(bytes.every((byte, index) => byte === index % 251), 'every byte intact');
    const row = ada.locator(`#peer-table tbody tr[data-peer-id="${result.id}"]`);
    await until(async () => (await row.count()) === 0, 'the closed client is no longer listed');
    assert.is(peerEntry(alpha, result.id)?.reachable, false);
  });

  test('screenshots of the page (test-artifacts/browser/)', async () => {
    await until(async () => (await ada.locator('#peer-table tbody tr').count()) >= 4, 'the table lists the mesh');
    await saveScreenshot(ada, 'page-mesh-ada');
    await saveScreenshot(cyd, 'page-mesh-cyd');
  });
}

test.run();
