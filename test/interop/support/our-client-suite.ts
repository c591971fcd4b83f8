/**
 * Our client against an echo server we did not write (`ws`, python3-websockets). Each test opens its own
 * connection at its own path, so the server's view of that connection's close can be checked too.
 */
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { closeCommand, pingCommand, PONG_REPLY, FRAGMENTED_COMMAND } from '../../helpers/echo-commands.ts';
import { INTEROP_SIZES, binaryPayload, sizeLabel, textPayload } from '../../helpers/payloads.ts';
import { FRAGMENTED_BINARY, FRAGMENTED_TEXT, PING_BETWEEN_FRAGMENTS } from './echo-fixtures.ts';
import type { EchoServerUnderTest } from './echo-server-under-test.ts';
import { messageMismatch } from './inbox.ts';
import type { CloseEvent } from './inbox.ts';
import { connectOurClient } from './our-client.ts';
import type { OurClient } from './our-client.ts';

export interface OurClientSuiteContext {
  server?: EchoServerUnderTest;
}

let nextPath = 0;
const uniquePath = (label: string) => `/${label.replace(/[^a-z0-9]+/gi, '-')}-${++nextPath}`;

async function expectEcho(client: OurClient, sent: string | Uint8Array): Promise<void> {
  const received = await client.inbox.nextMessage();
  const mismatch = messageMismatch(received, sent, true);
  if (mismatch) assert.unreachable(mismatch);
}

/** Closes from our side and checks both sides' view of the closing handshake. */
async function closeAndCheck(
  client: OurClient,
  server: EchoServerUnderTest,
  path: string,
  code?: number,
  reason?: string,
): Promise<void> {
  client.ws.close(code, reason);
  const expected = { code: code ?? 1005, reason: reason ?? '' };
  assert.equal(await client.inbox.waitForClose(), { ...expected, wasClean: true } satisfies CloseEvent);
  assert.equal(await server.closeSeen(path), expected);
  assert.equal(client.inbox.errors, []);
}

export function defineOurClientSuite(suite: Test<OurClientSuiteContext>, start: () => Promise<EchoServerUnderTest>): void {
  suite.before(async (context) => {
    context.server = await start();
  });
  suite.after(async (context) => {
    await context.server?.stop();
  });

  for (const size of INTEROP_SIZES) {
    suite(`echo: text and binary of ${sizeLabel(size)}`, async ({ server }) => {
      const path = uniquePath(`echo-${size}`);
      const client = await connectOurClient(server!.url(path));
      const text = textPayload(size);
      const binary = binaryPayload(size);
      client.ws.send(text);
      client.ws.send(binary);
      await expectEcho(client, text);
      await expectEcho(client, binary);
      await closeAndCheck(client, server!, path, 1000, 'done');
    });
  }

  suite('fragmented by us (fragmentSize): text split inside characters and binary', async ({ server }) => {
    const path = uniquePath('our-fragments');
    const client = await connectOurClient(server!.url(path), { fragmentSize: 1000 });
    const messages = [textPayload(65536), binaryPayload(65536), textPayload(1001), textPayload(0), binaryPayload(1000)];
    for (const message of messages) client.ws.send(message);
    for (const message of messages) await expectEcho(client, message);
    await closeAndCheck(client, server!, path, 1000);
  });

  suite('fragmented by us: one byte per fragment, multi-byte characters split', async ({ server }) => {
    const path = uniquePath('byte-fragments');
    const client = await connectOurClient(server!.url(path), { fragmentSize: 1 });
    const text = textPayload(40);
    client.ws.send(text);
    await expectEcho(client, text);
    await closeAndCheck(client, server!, path, 1000);
  });

  suite('fragmented by the peer: text, and binary with a ping between fragments', async ({ server }) => {
    const path = uniquePath('peer-fragments');
    const client = await connectOurClient(server!.url(path));
    client.ws.send(`${FRAGMENTED_COMMAND} text`);
    await expectEcho(client, FRAGMENTED_TEXT);
    client.ws.send(`${FRAGMENTED_COMMAND} binary`);
    assert.is((await client.inbox.nextPing()).toString(), PING_BETWEEN_FRAGMENTS);
    await expectEcho(client, FRAGMENTED_BINARY);
    await closeAndCheck(client, server!, path, 1000);
  });

  suite('our pings get pongs with the same payload (0, 5 and 125 bytes)', async ({ server }) => {
    const path = uniquePath('our-pings');
    const client = await connectOurClient(server!.url(path));
    for (const payload of [Buffer.alloc(0), Buffer.from('hello'), binaryPayload(125)]) {
      client.ws.ping(payload);
      assert.equal(await client.inbox.nextPong(), payload);
    }
    await closeAndCheck(client, server!, path, 1000);
  });

  suite("the peer's ping is answered with a pong carrying its payload", async ({ server }) => {
    const path = uniquePath('peer-ping');
    const client = await connectOurClient(server!.url(path));
    client.ws.send(pingCommand('from the server'));
    assert.is((await client.inbox.nextPing()).toString(), 'from the server');
    await expectEcho(client, `${PONG_REPLY} from the server`);
    await closeAndCheck(client, server!, path, 1000);
  });

  suite('we close with a code and a reason; the peer echoes them', async ({ server }) => {
    const path = uniquePath('our-close');
    const client = await connectOurClient(server!.url(path));
    await closeAndCheck(client, server!, path, 4000, 'bye é');
  });

  suite('we close with 1001 and a reason of 123 bytes', async ({ server }) => {
    const path = uniquePath('long-reason');
    const client = await connectOurClient(server!.url(path));
    const reason = 'é'.repeat(61) + 'x';
    assert.is(Buffer.byteLength(reason), 123);
    await closeAndCheck(client, server!, path, 1001, reason);
  });

  suite('we close without a code: both sides report 1005', async ({ server }) => {
    const path = uniquePath('empty-close');
    const client = await connectOurClient(server!.url(path));
    await closeAndCheck(client, server!, path);
  });

  for (const [code, reason] of [
    [4001, 'server says bye'],
    [1000, ''],
    [1011, 'internal error'],
  ] as const) {
    suite(`the peer closes with ${code} ${JSON.stringify(reason)}; we echo the code`, async ({ server }) => {
      const path = uniquePath(`peer-close-${code}`);
      const client = await connectOurClient(server!.url(path));
      client.ws.send(closeCommand(code, reason));
      assert.equal(await client.inbox.waitForClose(), { code, reason, wasClean: true });
      const seen = await server!.closeSeen(path);
      assert.is(seen.code, code);
      assert.equal(client.inbox.errors, []);
    });
  }
}
