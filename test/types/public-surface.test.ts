import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PeerInfo } from '../../src/index.ts';
import { createNode } from '../../src/node.ts';
import { Protocol, type ProtocolHandler } from '../../src/protocol/protocol.ts';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import { WebSocket } from '../../src/transport/websocket.ts';
import { nextEvent } from '../helpers/timeout.ts';
import { startNode, stopAllNodes } from '../mesh/support.ts';

test.after.each(stopAllNodes);

const SECRET = 'never-visible-secret-4711';

test('a node holds no reachable internals: no options (the secret), no mutable peer table', async () => {
  const node = await startNode({ name: 'a', secret: SECRET });
  for (const key of ['options', 'table']) assert.not.ok(key in node, `node.${key}`);
  assert.not.match(inspect(node, { depth: 6, showHidden: true }), SECRET);
  assert.not.match(JSON.stringify(Object.entries(node)), SECRET);
  // Queries hand out copies.
  const other = await startNode({ name: 'b', secret: SECRET, peers: [node.urls[0]] });
  await other.ready({ timeout: 10_000 });
  const [peer] = other.peers();
  peer.name = 'changed';
  assert.is(other.peer(peer.id)!.name, 'a');
});

/** Every property name (symbols included) on `object` and its prototypes up to, not including, `stop`. */
function reachableKeys(object: object, stop: object | null = null, minus: object = {}): string[] {
  const keys = new Set<string>();
  for (let o: object | null = object; o !== null && o !== stop; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) keys.add(String(key));
  }
  for (const key of Reflect.ownKeys(minus)) keys.delete(String(key));
  return [...keys].sort();
}

const PROTOCOL_API = [
  'closeReceived', 'closeSent', 'constructor', 'fail', 'maxPayload', 'receive', 'receivePaused', 'role', 'send',
  'sendBinary', 'sendClose', 'sendPing', 'sendPong', 'sendText', 'sendTextBytes', 'state',
];
const WEBSOCKET_API = [
  'bufferedAmount', 'close', 'constructor', 'extensions', 'isPaused', 'maxPayload', 'pause', 'ping', 'pong', 'protocol',
  'readyState', 'remoteAddress', 'remotePort', 'resume', 'role', 'send', 'setNoDelay', 'terminate', 'url',
];

test('a Protocol has only its documented API at run time: no parser callbacks, no parser, no handler', () => {
  const messages: unknown[] = [];
  const ignore = () => {};
  const handler: ProtocolHandler = { write: ignore, message: (data) => messages.push(data), ping: ignore, pong: ignore, closeFrame: ignore, protocolError: ignore };
  const protocol = new Protocol({ role: 'server' }, handler);
  assert.equal(reachableKeys(protocol, Object.prototype), PROTOCOL_API);
  assert.equal(Reflect.ownKeys(Protocol).sort(), ['length', 'name', 'prototype']);
  // What a caller tried before: the FrameSink methods, the private helpers that deliver, the parser's sink.
  const loose = protocol as unknown as Record<string, unknown>;
  for (const key of ['frameHeader', 'partialPayload', 'frame', 'deliver', 'handleClose', 'inflated', 'parser', 'handler']) {
    assert.is(loose[key], undefined, key);
  }
  // The documented way in still works: a masked text frame "hi".
  protocol.receive(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 'h'.charCodeAt(0) ^ 1, 'i'.charCodeAt(0) ^ 2]));
  assert.equal(messages, ['hi']);
});

test('a WebSocket exposes neither its codec, its socket nor any callback: only its documented API', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1' });
  try {
    const { port } = await server.listen();
    const accepted = nextEvent(server, 'connection');
    const client = await connect(`ws://127.0.0.1:${port}`);
    const [ws] = (await accepted) as [WebSocket];
    for (const socket of [client, ws]) {
      // EventEmitter's own bookkeeping (_events, ...) is the emitter's documented surface, not ours.
      assert.equal(reachableKeys(socket, EventEmitter.prototype, new EventEmitter()), WEBSOCKET_API);
      for (const key of Reflect.ownKeys(socket)) {
        const value: unknown = (socket as unknown as Record<PropertyKey, unknown>)[key];
        assert.ok(typeof value !== 'object' || value === null || EventEmitter.prototype.hasOwnProperty.call(new EventEmitter(), key), `ws[${String(key)}] is an object`);
      }
    }
    // Statics: the ready states only (before: the shared codec and socket callbacks, startReading).
    assert.equal(Reflect.ownKeys(WebSocket).sort(), ['CLOSED', 'CLOSING', 'CONNECTING', 'OPEN', 'length', 'name', 'prototype']);
    client.close();
    await nextEvent(ws, 'close');
  } finally {
    await server.close();
  }
});

// Compile-time checks (`npm run typecheck`): a misspelt event name or a wrong listener is a type error.
export function typeChecks(): void {
  const node = createNode();
  // @ts-expect-error misspelt event name
  node.on('peer:conected', () => {});
  // @ts-expect-error misspelt event name
  node.once('mesage', () => {});
  node.on('peer:connected', (peer: PeerInfo) => peer.id);
  node.on('peer:dial-failed', (failure) => failure.cause.length);
  // @ts-expect-error the listener of 'message' gets (data, info), not a number
  node.on('message', (data: number) => data);
  const server = new WebSocketServer({ noServer: true });
  // @ts-expect-error misspelt event name
  server.on('conection', () => {});
  server.on('connection', (ws) => {
    // @ts-expect-error misspelt event name
    ws.on('mesage', () => {});
    ws.on('message', (data, isBinary: boolean) => [data, isBinary]);
  });
}

test.run();
