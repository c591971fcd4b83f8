/** The `ws` npm client against our server. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WsProtocolError } from '../../src/protocol/errors.ts';
import { closeCommand, pingCommand, PONG_REPLY, FRAGMENTED_COMMAND } from '../helpers/echo-commands.ts';
import { INTEROP_SIZES, MiB, binaryPayload, sizeLabel, textPayload } from '../helpers/payloads.ts';
import { FRAGMENTED_BINARY, FRAGMENTED_TEXT, fragmentsOf } from './support/echo-fixtures.ts';
import { messageMismatch } from './support/inbox.ts';
import { closeOf, startOurEchoServer } from './support/our-echo-server.ts';
import type { ConnectionSeen, OurEchoServer } from './support/our-echo-server.ts';
import { connectWsClient } from './support/ws-client.ts';
import type { WsPeerClient } from './support/ws-client.ts';

interface Context {
  server?: OurEchoServer;
  /** The same server with fragmentSize 7: every echo longer than 7 bytes is fragmented, inside characters too. */
  fragmentingServer?: OurEchoServer;
}

const wsClientOurServer = suite<Context>('ws client <-> our server', {});

wsClientOurServer.before(async (context) => {
  context.server = await startOurEchoServer();
  context.fragmentingServer = await startOurEchoServer({ fragmentSize: 7 });
});
wsClientOurServer.after(async ({ server, fragmentingServer }) => {
  await Promise.all([server?.stop(), fragmentingServer?.stop()]);
});

let nextPath = 0;
const uniquePath = (label: string) => `/${label}-${++nextPath}`;

async function open(server: OurEchoServer, label: string): Promise<WsPeerClient & { seen: ConnectionSeen }> {
  const path = uniquePath(label);
  const client = await connectWsClient(server.url(path), { maxPayload: 64 * MiB });
  return { ...client, seen: await server.connection(path) };
}

async function expectEcho(client: WsPeerClient, sent: string | Uint8Array): Promise<void> {
  const mismatch = messageMismatch(await client.inbox.nextMessage(), sent, false);
  if (mismatch) assert.unreachable(mismatch);
}

/** The ws client closes; checks what both sides report. Our echo carries the code (its reason is optional). */
async function closeFromClient(client: WsPeerClient & { seen: ConnectionSeen }, code?: number, reason?: string) {
  client.ws.close(code, reason);
  const expectedCode = code ?? 1005;
  assert.equal(await closeOf(client.seen), { code: expectedCode, reason: reason ?? '', wasClean: true });
  const clientClose = await client.inbox.waitForClose();
  assert.is(clientClose.code, expectedCode);
  assert.ok(clientClose.wasClean, 'ws reports a clean close');
  assert.equal(client.seen.errors, []);
  assert.equal(client.inbox.errors, []);
}

for (const size of INTEROP_SIZES) {
  wsClientOurServer(`echo: text and binary of ${sizeLabel(size)}`, async ({ server }) => {
    const client = await open(server!, `echo-${size}`);
    client.ws.send(textPayload(size));
    client.ws.send(binaryPayload(size));
    await expectEcho(client, textPayload(size));
    await expectEcho(client, binaryPayload(size));
    assert.equal(client.seen.messages, [
      { isBinary: false, size, deliveredAs: 'string', isInteropPayload: true },
      { isBinary: true, size, deliveredAs: 'buffer', isInteropPayload: true },
    ]);
    await closeFromClient(client, 1000, 'done');
  });
}

wsClientOurServer('fragmented by ws: text split inside characters, with a ping between fragments', async ({ server }) => {
  const client = await open(server!, 'ws-fragments-text');
  const fragments = fragmentsOf('text');
  client.ws.send(fragments[0], { binary: false, fin: false });
  client.ws.ping('between');
  for (const [index, fragment] of fragments.slice(1).entries()) {
    client.ws.send(fragment, { binary: false, fin: index === fragments.length - 2 });
  }
  assert.is((await client.inbox.nextPong()).toString(), 'between');
  await expectEcho(client, FRAGMENTED_TEXT);
  assert.equal(client.seen.pings, [Buffer.from('between')]);
  assert.equal(client.seen.messages, [{ isBinary: false, size: 11, deliveredAs: 'string', isInteropPayload: true }]);
  await closeFromClient(client, 1000);
});

wsClientOurServer('fragmented by ws: binary in three fragments (64 KiB, 64 KiB, 1 B)', async ({ server }) => {
  const client = await open(server!, 'ws-fragments-binary');
  const fragments = fragmentsOf('binary');
  fragments.forEach((fragment, index) => client.ws.send(fragment, { binary: true, fin: index === fragments.length - 1 }));
  await expectEcho(client, FRAGMENTED_BINARY);
  await closeFromClient(client, 1000);
});

wsClientOurServer('fragmented by us (fragmentSize 7): echoes reassembled by ws', async ({ fragmentingServer }) => {
  const client = await open(fragmentingServer!, 'our-fragments');
  const messages = [textPayload(1000), binaryPayload(1000), textPayload(65536), textPayload(7), textPayload(0)];
  for (const message of messages) client.ws.send(message);
  for (const message of messages) await expectEcho(client, message);
  client.ws.send(`${FRAGMENTED_COMMAND} text`);
  await expectEcho(client, FRAGMENTED_TEXT);
  await closeFromClient(client, 1000);
});

wsClientOurServer('ws pings (0, 5, 125 bytes) get pongs with the same payload', async ({ server }) => {
  const client = await open(server!, 'ws-pings');
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), binaryPayload(125)];
  for (const payload of payloads) {
    client.ws.ping(payload);
    assert.equal(await client.inbox.nextPong(), payload);
  }
  assert.equal(client.seen.pings, payloads);
  await closeFromClient(client, 1000);
});

wsClientOurServer('our ping reaches ws with its payload; its pong comes back', async ({ server }) => {
  const client = await open(server!, 'our-ping');
  client.ws.send(pingCommand('from the server'));
  assert.is((await client.inbox.nextPing()).toString(), 'from the server');
  await expectEcho(client, `${PONG_REPLY} from the server`);
  await closeFromClient(client, 1000);
});

wsClientOurServer('ws closes with 4000 and a reason', async ({ server }) => {
  await closeFromClient(await open(server!, 'ws-close'), 4000, 'bye é');
});

wsClientOurServer('ws closes with 1001 and a 123-byte reason', async ({ server }) => {
  await closeFromClient(await open(server!, 'ws-close-long'), 1001, 'é'.repeat(61) + 'x');
});

wsClientOurServer('ws closes without a code: both sides report 1005', async ({ server }) => {
  await closeFromClient(await open(server!, 'ws-close-empty'));
});

for (const [code, reason] of [
  [4001, 'server says bye'],
  [1000, ''],
  [1011, 'internal error'],
] as const) {
  wsClientOurServer(`we close with ${code} ${JSON.stringify(reason)}; ws echoes it`, async ({ server }) => {
    const client = await open(server!, `our-close-${code}`);
    client.ws.send(closeCommand(code, reason));
    assert.equal(await client.inbox.waitForClose(), { code, reason, wasClean: true });
    const ours = await closeOf(client.seen);
    assert.is(ours.code, code);
    assert.ok(ours.wasClean, 'our side reports a clean close');
  });
}

wsClientOurServer('we close without a code: ws sees 1005', async ({ server }) => {
  const client = await open(server!, 'our-close-empty');
  client.ws.send(closeCommand());
  assert.equal(await client.inbox.waitForClose(), { code: 1005, reason: '', wasClean: true });
  assert.equal(await closeOf(client.seen), { code: 1005, reason: '', wasClean: true });
});

wsClientOurServer('a message over 16 MiB from ws fails the connection with 1009', async ({ server }) => {
  const client = await open(server!, 'too-big');
  client.ws.send(binaryPayload(16 * MiB + 1));
  const clientClose = await client.inbox.waitForClose();
  assert.is(clientClose.code, 1009);
  const ours = await closeOf(client.seen);
  assert.is(ours.code, 1009);
  assert.is(ours.wasClean, false);
  assert.equal(client.seen.messages, []);
  assert.ok(client.seen.errors[0] instanceof WsProtocolError, 'a WsProtocolError is emitted');
  assert.is((client.seen.errors[0] as WsProtocolError).code, 1009);
});

wsClientOurServer.run();
