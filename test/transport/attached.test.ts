import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer, type UpgradeRequest } from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { closeServer, listenOnFreePort } from '../helpers/ports.ts';
import { nextEvent, withTimeout } from '../helpers/timeout.ts';
import { exchange, rejection, statusLine, upgradeRequest } from './raw-client.ts';

const cleanups: Array<() => Promise<unknown>> = [];

test.after.each(async () => {
  for (const cleanup of cleanups.reverse()) await withTimeout(cleanup(), 15_000, 'cleanup');
  cleanups.length = 0;
});

/** An http.Server that answers plain requests with "page <url>". */
async function pageServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/plain' });
    response.end(`page ${request.url}`);
  });
  const port = await listenOnFreePort(server);
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  return { server, port };
}

function attach(wss: WebSocketServer, reply = 'echo'): WebSocketServer {
  cleanups.push(() => wss.close());
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`${reply}:${data}`)));
  return wss;
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(`${response.statusCode} ${body}`));
    }).on('error', reject);
  });
}

async function roundTrip(url: string, text: string): Promise<string> {
  const ws = await connect(url);
  ws.send(text);
  const [reply] = await nextEvent<[string]>(ws, 'message');
  ws.close();
  await nextEvent(ws, 'close');
  return reply;
}

test('one port serves a plain GET and WebSocket upgrades', async () => {
  const { server, port } = await pageServer();
  const wss = attach(new WebSocketServer({ server }));
  const connected = nextEvent<[WebSocket, UpgradeRequest]>(wss, 'connection');
  assert.is(await httpGet(port, '/index.html'), '200 page /index.html');
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/anything`, 'hi'), 'echo:hi');
  const [, request] = await connected;
  assert.is(request.path, '/anything');
  assert.is(request.remoteAddress, '127.0.0.1');
  assert.equal(wss.address(), server.address() as AddressInfo);
  assert.is(await httpGet(port, '/again'), '200 page /again');
});

test('attached: bad upgrades get our status (Node parsed the request)', async () => {
  const { server, port } = await pageServer();
  attach(new WebSocketServer({ server }));
  const version8 = await exchange(port, upgradeRequest('/').replace('Version: 13', 'Version: 8'));
  assert.is(statusLine(version8), 'HTTP/1.1 426 Upgrade Required');
  assert.ok(version8.includes('\r\nSec-WebSocket-Version: 13\r\n'));
  const twoKeys = await exchange(port, upgradeRequest('/', ['Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==']));
  assert.is(statusLine(twoKeys), 'HTTP/1.1 400 Bad Request');
  assert.ok(twoKeys.endsWith('more than one Sec-WebSocket-Key header\n'));
});

test('attached with path: the only upgrade listener answers other paths with 404', async () => {
  const { server, port } = await pageServer();
  attach(new WebSocketServer({ server, path: '/ws' }));
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/ws?x=1`, 'a'), 'echo:a');
  const error = await rejection(connect(`ws://127.0.0.1:${port}/elsewhere`));
  assert.instance(error, WsHandshakeError);
  assert.is((error as WsHandshakeError).status, 404);
  assert.ok(error.message.includes('"HTTP/1.1 404 Not Found": no WebSocket endpoint at "/elsewhere"'), error.message);
});

test('attached with paths: two servers on one http.Server each take their own path', async () => {
  const { server, port } = await pageServer();
  attach(new WebSocketServer({ server, path: '/a' }), 'A');
  attach(new WebSocketServer({ server, path: '/b' }), 'B');
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/a`, 'x'), 'A:x');
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/b`, 'y'), 'B:y');
});

test('noServer: handleUpgrade with a callback, and without one (emits connection)', async () => {
  const { server, port } = await pageServer();
  const wss = new WebSocketServer({ noServer: true, protocols: ['p'] });
  cleanups.push(() => wss.close());
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`event:${data}`)));
  server.on('upgrade', (request, socket, head) => {
    if (request.url === '/callback') {
      wss.handleUpgrade(request, socket, head, (ws, info) => {
        ws.on('message', (data) => ws.send(`callback:${data}:${info.path}:${ws.protocol}`));
      });
    } else wss.handleUpgrade(request, socket, head);
  });
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/callback`, 'm'), 'callback:m:/callback:');
  assert.is(await roundTrip(`ws://127.0.0.1:${port}/event`, 'n'), 'event:n');
  const ws = await connect(`ws://127.0.0.1:${port}/callback`, { protocols: ['p'] });
  assert.is(ws.protocol, 'p');
  ws.terminate();
});

test('close() of an attached server closes its WebSockets but leaves the http.Server serving', async () => {
  const { server, port } = await pageServer();
  const wss = attach(new WebSocketServer({ server }));
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  const closed = nextEvent<[number, string, boolean]>(ws, 'close');
  await wss.close();
  assert.equal(await closed, [1001, 'server shutting down', true]);
  assert.is(server.listenerCount('upgrade'), 0);
  assert.is(await httpGet(port, '/still'), '200 page /still');
});

test.run();
