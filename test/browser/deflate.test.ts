// permessage-deflate with a real Chromium: its offer `permessage-deflate; client_max_window_bits` is agreed by a
// node (compression 'browsers', the default), and a large compressible message from the page arrives intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import type { MeshNode } from '../../src/mesh/node.ts';
import type { ChromiumSession } from './support/chromium.ts';
import { Inbox, eventually, pageUrl, startWebNode } from './support/nodes.ts';
import { chromiumSuite } from './support/suite.ts';

const AGREED = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

interface Handshake {
  offered: string | undefined;
  answered: string | undefined;
}

/** The Sec-WebSocket-Extensions headers of the page's WebSocket handshakes, read through the DevTools protocol. */
async function watchHandshakes(session: ChromiumSession, page: Page): Promise<() => Handshake[]> {
  const cdp = await session.context.newCDPSession(page);
  const handshakes = new Map<string, Handshake>();
  const header = (headers: Record<string, string>) => Object.entries(headers).find(([name]) => name.toLowerCase() === 'sec-websocket-extensions')?.[1];
  cdp.on('Network.webSocketWillSendHandshakeRequest', ({ requestId, request }) => {
    handshakes.set(requestId, { offered: header(request.headers), answered: undefined });
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', ({ requestId, response }) => {
    handshakes.get(requestId)!.answered = header(response.headers);
  });
  await cdp.send('Network.enable');
  return () => [...handshakes.values()];
}

/**
 * In the page: a raw WebSocket joins as a browser peer, then broadcasts `size` characters of JSON-like text.
 * Returns the agreed extensions as the page sees them.
 */
function joinAndSend(page: Page, url: string, size: number): Promise<string> {
  return page.evaluate(
    async ({ url, size }) => {
      const ws = new WebSocket(url, 'wsmesh.v1');
      const id = 'deflate-tab';
      const welcomed = new Promise<void>((resolve, reject) => {
        ws.onmessage = ({ data }) => JSON.parse(data).t === 'welcome' && resolve();
        ws.onclose = (event) => reject(new Error(`closed ${event.code} ${event.reason}`));
      });
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(JSON.stringify({ t: 'hello', v: 1, id, name: 'deflate', mesh: 'wsmesh', kind: 'browser', listen: [], nonce: 'ab', auth: false, boot: 'b' }));
      await welcomed;
      let text = '';
      for (let i = 0; text.length < size; i++) text += JSON.stringify({ i, name: `sensor-${i % 50}`, ok: i % 3 === 0 });
      ws.send(JSON.stringify({ t: 'msg', id: 'big-1', from: id, to: null, ttl: 4, hops: 0, data: text.slice(0, size) }));
      return ws.extensions;
    },
    { url, size },
  );
}

function expectedText(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += JSON.stringify({ i, name: `sensor-${i % 50}`, ok: i % 3 === 0 });
  return text.slice(0, size);
}

const suite = await chromiumSuite();
if (suite) {

  const run = async (node: MeshNode, size: number): Promise<{ handshakes: Handshake[]; extensions: string; inbox: Inbox }> => {
    const inbox = new Inbox(node);
    const page = await suite.session.newPage();
    const seen = await watchHandshakes(suite.session, page);
    await page.goto(`${pageUrl(node)}status`);
    const extensions = await joinAndSend(page, `ws://127.0.0.1:${node.port}/`, size);
    await inbox.waitForText(expectedText(size));
    await page.close();
    return { handshakes: seen(), extensions, inbox };
  };

  test("Chromium's offer is agreed by a node with the default compression; 2 MB of text arrive intact", async () => {
    const node = await startWebNode({ name: 'deflating' });
    const size = 2_000_000;
    const { handshakes, extensions, inbox } = await run(node, size);
    assert.equal(handshakes.map(({ offered, answered }) => [offered, answered]), [['permessage-deflate; client_max_window_bits', AGREED]]);
    assert.is(extensions, AGREED);
    assert.equal(inbox.messages.map(({ info }) => [info.from, info.id]), [['deflate-tab', 'big-1']]);
    assert.is((inbox.messages[0].data as string).length, size);
    await eventually(() => node.liveLink('deflate-tab') === undefined, 'the link closing with the page');
  });

  test("with compression 'off' the offer is declined and the same message arrives uncompressed", async () => {
    const node = await startWebNode({ name: 'plain', compression: 'off' });
    const { handshakes, extensions } = await run(node, 200_000);
    assert.equal(handshakes.map(({ offered, answered }) => [offered, answered]), [['permessage-deflate; client_max_window_bits', undefined]]);
    assert.is(extensions, '');
  });
}

test.run();
