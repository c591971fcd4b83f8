// A browser-kind peer speaking wsmesh.v2 from Node (the shared src/wire module, as the page does): joins a node with
// the secret, is routed to through it, chats both ways. The page itself is tested in Chromium (test/browser).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawPeer } from '../security/raw-peer.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

test('a browser peer joins with the secret, is reachable through its node, and chats both ways', async () => {
  const a = await startNode({ name: 'a', secret: 'pass phrase 1' });
  const b = await startNode({ name: 'b', secret: 'pass phrase 1', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(a).length === 1, 'a and b connected');
  const tab = await RawPeer.join(a.urls[0], { kind: 'browser', name: 'tab', secret: 'pass phrase 1' });
  assert.is(tab.remote!.id, a.id);
  await waitFor(() => b.peers().some((peer) => peer.id === tab.id && peer.reachable), 'b sees the browser peer through a');
  const listed = b.peers().find((peer) => peer.id === tab.id)!;
  assert.equal([listed.kind, listed.via, listed.hops], ['browser', a.id, 2]);

  const atB: string[] = [];
  b.on('message', (data, info) => atB.push(`${info.from === tab.id ? 'tab' : info.from}:${data}`));
  tab.sendJson(tab.sign({ t: 'msg', id: 'm1', from: tab.id, to: null, ttl: 8, hops: 0, data: 'hello mesh' }));
  tab.sendJson(tab.sign({ t: 'msg', id: 'm2', from: tab.id, to: b.id, ttl: 8, hops: 0, data: 'just for b' }));
  await waitFor(() => atB.length === 2, 'b got both messages of the tab');
  assert.equal(atB.sort(), ['tab:hello mesh', 'tab:just for b']);
  await waitFor(() => tab.messages('ack').some((ack) => ack.id === 'm2' && ack.from === b.id), 'b acknowledged the direct message');

  const sending = b.send(tab.id, 'text for the tab');
  await waitFor(() => tab.messages('msg').some((m) => m.data === 'text for the tab'), 'the tab got the message');
  const message = tab.messages('msg').find((m) => m.data === 'text for the tab')!;
  assert.is(message.from, b.id);
  tab.sendJson(tab.sign({ t: 'ack', id: message.id, from: tab.id, to: b.id, ttl: 8 }));
  await sending;
  tab.end();
});

test('a browser peer with a wrong secret is refused with 4001 naming the secret', async () => {
  const a = await startNode({ name: 'a', secret: 'the right secret' });
  const error = await RawPeer.join(a.urls[0], { kind: 'browser', name: 'tab', secret: 'the wrong secret' }).catch((problem: Error) => problem);
  assert.match((error as Error).message, /refused: .*"code":4001.*wrong mesh secret/);
});

test.run();
