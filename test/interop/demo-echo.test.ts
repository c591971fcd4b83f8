/** demo/echo.ts as a process, driven by the `ws` package. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { WebSocket as WsSocket } from 'ws';
import { binaryPayload, textPayload } from '../helpers/payloads.ts';
import { LOOPBACK, closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { killAllChildren, spawnManaged } from '../helpers/processes.ts';
import type { ManagedProcess } from '../helpers/processes.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { messageMismatch } from './support/inbox.ts';
import { connectWsClient } from './support/ws-client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const demoEcho = suite('demo/echo.ts');

function runDemo(args: string[]): ManagedProcess {
  return spawnManaged(process.execPath, ['--import', 'tsx', 'demo/echo.ts', ...args], { cwd: ROOT });
}

async function exitOf(demo: ManagedProcess): Promise<number | null> {
  return (await withTimeout(demo.exited, 30_000, 'demo/echo.ts to exit')).code;
}

demoEcho.after.each(killAllChildren);

demoEcho('--listen 0: prints its URL and echoes text and binary with their type', async () => {
  const demo = runDemo(['--listen', '0']);
  const [, port] = await demo.waitForLine(/^listening on ws:\/\/127\.0\.0\.1:(\d+)$/, 30_000);
  const client = await connectWsClient(`ws://${LOOPBACK}:${port}/echo`);
  const messages = [textPayload(5), binaryPayload(5), textPayload(65536), binaryPayload(65536), textPayload(0)];
  for (const message of messages) client.ws.send(message);
  for (const message of messages) {
    const mismatch = messageMismatch(await client.inbox.nextMessage(), message, false);
    if (mismatch) assert.unreachable(mismatch);
  }
  client.ws.close(1000, 'thanks');
  assert.equal(await client.inbox.waitForClose(), { code: 1000, reason: 'thanks', wasClean: true });
  await demo.waitForLine(/closed: 1000 "thanks"$/);
  assert.match(demo.lines.join('\n'), /^connection from 127\.0\.0\.1:\d+ \/echo$/m);
  demo.child.kill('SIGTERM');
  assert.is(await exitOf(demo), 0);
});

demoEcho('--connect URL: echoes what the server sends, exits 0 when the server closes', async () => {
  const server = new WebSocketServer({ host: LOOPBACK, port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  try {
    const connected = new Promise<WsSocket>((resolve) => server.once('connection', resolve));
    const demo = runDemo(['--connect', `ws://${LOOPBACK}:${port}/x`]);
    const peer = await withTimeout(connected, 30_000, 'demo connecting');
    const echoes: Array<[Buffer, boolean]> = [];
    peer.on('message', (data: Buffer, isBinary) => echoes.push([data, isBinary]));
    const allEchoed = new Promise((resolve) => peer.on('message', () => echoes.length === 3 && resolve(null)));
    peer.send('hello');
    peer.send(binaryPayload(126));
    peer.send(textPayload(70000));
    await withTimeout(allEchoed, 30_000, 'echoes from the demo');
    assert.equal(echoes, [
      [Buffer.from('hello'), false],
      [binaryPayload(126), true],
      [Buffer.from(textPayload(70000)), false],
    ]);
    peer.close(1000, 'bye');
    assert.is(await exitOf(demo), 0);
    assert.match(demo.stdout(), /connected to ws:\/\/127\.0\.0\.1:\d+\/x\n/);
    assert.match(demo.stdout(), /closed: 1000 "bye"\n/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

demoEcho('--connect to a closed port: exit 1 with the reason on stderr', async () => {
  const placeholder = createNetServer();
  const port = await listenOnFreePort(placeholder);
  await closeServer(placeholder);
  const demo = runDemo(['--connect', `ws://${LOOPBACK}:${port}/`]);
  assert.is(await exitOf(demo), 1);
  assert.match(demo.stderr(), /^echo: cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: .*ECONNREFUSED/m);
});

demoEcho('--connect to a server that refuses the handshake: exit 1 quoting the status', async () => {
  const http = createServer((_, response) => response.writeHead(404, { 'content-type': 'text/plain' }).end('nothing here'));
  const port = await listenOnFreePort(http);
  try {
    const demo = runDemo(['--connect', `ws://${LOOPBACK}:${port}/`]);
    assert.is(await exitOf(demo), 1);
    assert.match(demo.stderr(), /^echo: cannot connect to .*404/m);
  } finally {
    http.closeAllConnections();
    await closeServer(http);
  }
});

for (const [args, message] of [
  [[], /missing --listen PORT or --connect URL/],
  [['--listen', 'abc'], /--listen needs a port number from 0 to 65535, got "abc"/],
  [['--listen', '70000'], /--listen needs a port number/],
  [['--connect', 'http://127.0.0.1:1/'], /must start with ws:\/\/ or wss:\/\//],
  [['--listen', '0', '--connect', 'ws://127.0.0.1:1/'], /either --listen or --connect, not both/],
  [['--bogus'], /Unknown option '--bogus'/],
] as const) {
  demoEcho(`bad arguments ${JSON.stringify(args)}: exit 2 with a clear message`, async () => {
    const demo = runDemo([...args]);
    assert.is(await exitOf(demo), 2);
    assert.match(demo.stderr(), message);
    assert.match(demo.stderr(), /usage: npx tsx demo\/echo\.ts/);
  });
}

demoEcho.run();
