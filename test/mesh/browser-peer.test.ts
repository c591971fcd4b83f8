import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket as BrowserStyleWebSocket } from 'ws';
import { connectedIds, startNode, stopAllNodes, waitFor } from './support.ts';
import { joinMesh } from './fixtures/minimal-browser-peer.js';

// The documented browser peer runs unchanged on `ws`'s browser-compatible WebSocket (Node 20 has no global one).
(globalThis as { WebSocket?: unknown }).WebSocket = BrowserStyleWebSocket;

interface Joined {
  node: { id: string };
  broadcast(text: string): void;
  sendTo(peer: string, text: string): void;
  close(): void;
}

test.after.each(stopAllNodes);

test('the documented minimal browser peer joins with a secret, chats both ways through its node', async () => {
  const a = await startNode({ name: 'a', secret: 'pass phrase' });
  const b = await startNode({ name: 'b', secret: 'pass phrase', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(a).length === 1, 'a and b connected');
  const inTab: Array<[unknown, string]> = [];
  const tab: Joined = await joinMesh(a.urls[0], { id: 'tab-1', name: 'tab', secret: 'pass phrase' }, (data: unknown, m: { from: string }) =>
    inTab.push([data, m.from]),
  );
  assert.is(tab.node.id, a.id);
  await waitFor(() => b.peers().some((peer) => peer.id === 'tab-1' && peer.reachable), 'b sees the browser peer through a');
  const listed = b.peers().find((peer) => peer.id === 'tab-1')!;
  assert.equal([listed.kind, listed.via, listed.hops], ['browser', a.id, 2]);

  const atB: string[] = [];
  b.on('message', (data, info) => atB.push(`${info.from}:${data}`));
  tab.broadcast('hello mesh');
  tab.sendTo(b.id, 'just for b');
  await waitFor(() => atB.length === 2, 'b got both messages of the tab');
  assert.equal(atB.sort(), ['tab-1:hello mesh', 'tab-1:just for b']);

  await b.send('tab-1', 'text for the tab');
  await b.send('tab-1', new Uint8Array([7, 8]));
  assert.equal(inTab[0], ['text for the tab', b.id]);
  assert.equal([...(inTab[1][0] as Uint8Array)], [7, 8]);
  tab.close();
});

test('the minimal browser peer with a wrong secret is refused with 4001', async () => {
  const a = await startNode({ name: 'a', secret: 'right' });
  const error = await joinMesh(a.urls[0], { id: 'tab-2', name: 'tab', secret: 'wrong' }, () => {}).catch((problem: Error) => problem);
  assert.match((error as Error).message, /^closed 4001 /);
});

test.run();
