import { inspect } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PeerInfo } from '../../src/index.ts';
import { createNode } from '../../src/node.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
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
