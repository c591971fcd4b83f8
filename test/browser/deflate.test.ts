// permessage-deflate with a real Chromium: its offer `permessage-deflate; client_max_window_bits` is agreed by a
// node with compression 'browsers' (the default is 'off': links are encrypted), and a large message from the page (the browser client on its
// wsmesh.v2 link: encrypted, so deflate finds little to compress) arrives intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
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
 * In the page: the browser client joins as a browser peer (its link is one WebSocket), then broadcasts
 * `size` characters of JSON-like text. Returns the page's peer id.
 */
function joinAndSend(page: Page, url: string, size: number): Promise<string> {
  return page.evaluate(`(async () => {
    const { connectMesh, ephemeralIdentityKey } = await import('/browser/index.js');
    const client = connectMesh(${JSON.stringify(url)}, { name: 'deflate', identity: await ephemeralIdentityKey() });
    await new Promise((resolve, reject) => {
      client.on('open', resolve);
      client.on('status', (status) => status.state === 'stopped' && reject(new Error(status.problem.message)));
    });
    let text = '';
    for (let i = 0; text.length < ${size}; i++) text += JSON.stringify({ i, name: 'sensor-' + (i % 50), ok: i % 3 === 0 });
    client.broadcast(text.slice(0, ${size}));
    return client.id;
  })()`) as Promise<string>;
}

function expectedText(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += JSON.stringify({ i, name: `sensor-${i % 50}`, ok: i % 3 === 0 });
  return text.slice(0, size);
}

const suite = await chromiumSuite();
if (suite) {

  const run = async (node: MeshNode, size: number): Promise<{ handshakes: Handshake[]; id: string; inbox: Inbox }> => {
    const inbox = new Inbox(node);
    const page = await suite.session.newPage();
    const seen = await watchHandshakes(suite.session, page);
    await page.goto(`${pageUrl(node)}status`);
    const id = await joinAndSend(page, `ws://127.0.0.1:${node.port}/`, size);
    await inbox.waitForText(expectedText(size));
    await page.close();
    return { handshakes: seen(), id, inbox };
  };

  test("Chromium's offer is agreed by a node with compression 'browsers'; 2 MB of text arrive intact", async () => {
    const node = await startWebNode({ name: 'deflating', compression: 'browsers' });
    const size = 2_000_000;
    const { handshakes, id, inbox } = await run(node, size);
    assert.equal(handshakes.map(({ offered, answered }) => [offered, answered]), [['permessage-deflate; client_max_window_bits', AGREED]]);
    assert.equal(inbox.messages.map(({ info }) => info.from), [id]);
    assert.is((inbox.messages[0].data as string).length, size);
    await eventually(() => liveLink(node, id) === undefined, 'the link closing with the page');
  });

  test("with compression 'off' the offer is declined and the same message arrives uncompressed", async () => {
    const node = await startWebNode({ name: 'plain', compression: 'off' });
    const { handshakes } = await run(node, 200_000);
    assert.equal(handshakes.map(({ offered, answered }) => [offered, answered]), [['permessage-deflate; client_max_window_bits', undefined]]);
  });
}

test.run();
