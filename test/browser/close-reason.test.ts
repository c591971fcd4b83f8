// Chromium closes with ws.close(1000, 'bye') against our server: the server's answering close frame echoes
// code and reason, so the page's close event carries reason 'bye' (as it does against `ws` and most servers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from '../../src/transport/server.ts';
import { chromiumSuite } from './support/suite.ts';

const suite = await chromiumSuite();
if (suite) {
  test("the page's close(1000, 'bye') comes back as reason 'bye' in its close event", async () => {
    const server = new WebSocketServer({ host: '127.0.0.1' });
    const { port } = await server.listen();
    const serverClosed = new Promise<[number, string, boolean]>((resolve) => {
      server.on('connection', (ws) => ws.on('close', (...args) => resolve(args)));
    });
    const page = await suite.session.newPage();
    try {
      const seen = await page.evaluate(async (url) => {
        const ws = new WebSocket(url);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Error('the WebSocket failed to open'));
        });
        const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => (ws.onclose = resolve));
        ws.close(1000, 'bye');
        const event = await closed;
        return { code: event.code, reason: event.reason, wasClean: event.wasClean };
      }, `ws://127.0.0.1:${port}/`);
      assert.equal(seen, { code: 1000, reason: 'bye', wasClean: true });
      assert.equal(await serverClosed, [1000, 'bye', true]);
    } finally {
      await page.close();
      await server.close();
    }
  });
}

test.run();
