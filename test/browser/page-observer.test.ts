// Issue 15: opening the page shows the live peer table at once, as an observer, with joining the chat
// offered beside it under a generated name; then join under another name and chat (messages signed by the
// page's identity key, checked on the Node side with the wire module). Against a minimal Node side of the
// wsmesh.v2 link (support/wire-responder.ts), in Chromium, on a secure and on a non-secure origin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INSECURE_HOST } from './support/chromium.ts';
import { eventually } from './support/nodes.ts';
import { pagePeerId, peerRow, sendChat, waitForChat, waitForState, WAIT_MS } from './support/page.ts';
import { chromiumSuite } from './support/suite.ts';
import { startWireResponder, type WireResponder } from './support/wire-responder.ts';

const suite = await chromiumSuite();
if (suite) {
  let node: WireResponder;

  test.before(async () => {
    node = await startWireResponder('wsmesh', undefined, { node: true });
  });

  test.after(() => node.close());

  for (const [host, secure, provider] of [['127.0.0.1', true, 'WebCrypto'], [INSECURE_HOST, false, '@noble']] as const) {
    test(`page on http://${host}: the table at once, then join under a chosen name and chat`, async () => {
      node.accepted.length = 0;
      const page = await suite.session.newPage();
      await page.goto(`http://${host}:${node.port}/`);
      // No input at all: the table is there (the node first, then its peers), the chat offers to join.
      await waitForState(page, 'open');
      const id = await pagePeerId(page);
      assert.equal((await peerRow(page, node.identity.id)).slice(0, 3), ['test-node (your node)', node.identity.id.slice(0, 8), 'node']);
      assert.equal((await peerRow(page, 'ab'.repeat(16))).slice(0, 4), ['far-node', 'abababab', 'node', 'connected']);
      assert.ok(await page.isVisible('#join'), 'joining is offered beside the table');
      assert.ok(await page.isHidden('#composer'));
      assert.is(await page.inputValue('#join-name'), `guest-${id.slice(0, 4)}`);
      assert.match((await page.textContent('#whoami')) ?? '', /^Watching the mesh/);
      assert.match((await page.textContent('#link-info')) ?? '', provider);
      assert.match((await page.textContent('#link-info')) ?? '', secure ? 'this page is a secure context' : 'not a secure context');
      assert.is(node.accepted[0].remoteId, id, 'the node sees the identity the page proved');
      assert.is(node.accepted[0].remoteHello?.name, `guest-${id.slice(0, 4)}`);

      await page.fill('#join-name', 'Ada');
      await page.click('#join button[type=submit]');
      await page.locator('#whoami', { hasText: 'You are Ada (' }).waitFor({ timeout: WAIT_MS });
      await eventually(() => node.accepted.some((link) => link.remoteHello?.name === 'Ada' && link.sendFromNode !== undefined), 'the page rejoins as Ada');
      await waitForState(page, 'open');
      await sendChat(page, 'hello from Ada');
      const link = node.accepted.find((candidate) => candidate.remoteHello?.name === 'Ada')!;
      const sent = await eventually(() => link.messages.find((entry) => entry.message.data === 'hello from Ada'), 'the node receives the chat');
      assert.equal([sent.message.t, sent.message.from, sent.message.to, sent.signatureProblem], ['msg', id, null, null]);
      link.sendFromNode!('hi Ada, from the node', null);
      assert.is((await waitForChat(page, 'hi Ada, from the node')).sender, 'test-node');
      // Unsigned: taken only from the attached node, straight to the page (its link proved its key).
      const far = 'ab'.repeat(16);
      link.sendRaw!({ t: 'msg', id: 'f1', from: far, to: id, ttl: 15, hops: 1, seq: 1, data: 'forged: far-node never said this' });
      link.sendRaw!({ t: 'msg', id: 'f2', from: far, to: null, ttl: 15, hops: 1, seq: 2, data: 'forged broadcast', key: 'AAAA', sig: 'AAAA' });
      link.sendRaw!({ t: 'msg', id: 'n-direct', from: node.identity.id, to: id, ttl: 16, hops: 0, seq: 3, data: 'unsigned, straight from the node' });
      assert.is((await waitForChat(page, 'unsigned, straight from the node')).sender, 'test-node → you');
      assert.not.match((await page.textContent('#chat-log')) ?? '', 'forged', 'messages whose signature fails are not shown');
      await page.close();
    });
  }

  test('a mesh with a secret: the page shows nothing of it until the node accepted the secret', async () => {
    const closed = await startWireResponder('private', 'correct horse battery staple', { node: true });
    try {
      const page = await suite.session.newPage();
      await page.goto(`http://${INSECURE_HOST}:${closed.port}/`);
      await waitForState(page, 'stopped', 'secret-required');
      assert.ok(await page.isVisible('#secret-form'));
      assert.ok(await page.isHidden('#mesh'));
      assert.is(await page.locator('#peer-table tbody tr').count(), 0, 'no peer of the mesh in the page');
      assert.is(closed.accepted.length, 0, 'no handshake without a secret');
      await page.fill('#secret', 'a wrong secret, long enough');
      await page.click('#secret-form button[type=submit]');
      await waitForState(page, 'stopped', 'wrong-secret');
      assert.ok(await page.isHidden('#mesh'));
      assert.match((await page.textContent('#secret-hint')) ?? '', 'Wrong secret');
      assert.equal([closed.accepted[0].closeCode, closed.accepted[0].remoteId], [4001, null], 'the node refused the page in the handshake');
      await page.fill('#secret', 'correct horse battery staple');
      await page.click('#secret-form button[type=submit]');
      await waitForState(page, 'open');
      assert.ok(await page.isVisible('#mesh'));
      await peerRow(page, 'ab'.repeat(16));
      assert.not.match((await page.textContent('#link-info')) ?? '', 'Open mesh');
      await page.close();
    } finally {
      await closed.close();
    }
  });
}

test.run();
