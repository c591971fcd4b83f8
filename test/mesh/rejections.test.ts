import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RejectionInfo } from '../../src/mesh/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from './support.ts';
import { RawPeer } from '../security/raw-peer.ts';

test.after.each(stopAllNodes);

function rejections(node: MeshNode): RejectionInfo[] {
  const seen: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => seen.push(info));
  return seen;
}

function closeOf(ws: WebSocket): Promise<[number, string]> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason])));
}


test('the same secret connects; a wrong secret is closed with 4001 on both sides', async () => {
  const a = await startNode({ name: 'a', secret: 'correct horse' });
  const good = await startNode({ name: 'good', secret: 'correct horse', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(good).length === 1, 'the peer with the right secret connected');
  const atA = rejections(a);
  const bad = await startNode({ name: 'bad', secret: 'wrong secret here', peers: [a.urls[0]] });
  const atBad = rejections(bad);
  let badConnected = false;
  bad.on('peer:connected', () => (badConnected = true));
  await waitFor(() => atA.length > 0 && atBad.length > 0, 'both sides reported the refusal');
  assert.equal(atA[0].code, 4001);
  assert.equal(atBad[0].code, 4001);
  assert.is(atBad[0].url, a.urls[0]);
  assert.not.ok(badConnected);
  assert.equal(connectedIds(a), [good.id]);
});

test('a peer of another mesh is refused with 4002 (named in Noise message 1) and not redialled in a storm', async () => {
  const a = await startNode({ name: 'a', mesh: 'blue' });
  const b = await startNode({ name: 'b', mesh: 'green', reconnect: { min: 20, max: 60_000, jitter: 0 } });
  const atA = rejections(a);
  const atB = rejections(b);
  b.addPeer(a.urls[0]);
  await waitFor(() => atB.length > 0, 'b saw the refusal');
  await sleep(600);
  assert.equal(atB.map((info) => [info.code, info.direction]), [[4002, 'outbound']]);
  assert.equal(atA.map((info) => [info.code, info.direction]), [[4002, 'inbound']]);
  assert.is(atA[0].reason, 'mesh "green", expected "blue"');
});

test('a node dialling itself closes with 4004 and never dials that address again', async () => {
  const a = await startNode({ name: 'a', reconnect: { min: 20, max: 100, jitter: 0 } });
  const atA = rejections(a);
  a.addPeer(a.urls[0]);
  await waitFor(() => atA.length === 2, 'both ends of the self-connection reported 4004');
  assert.equal(atA.map((info) => [info.code, info.direction]).sort(), [[4004, 'inbound'], [4004, 'outbound']]);
  await sleep(400);
  assert.is(atA.length, 2);
  const [listed] = a.staticPeers();
  assert.equal([listed.url, listed.peerId, listed.state], [a.urls[0], null, 'lost']);
  assert.match(listed.lastError ?? '', /^refused by (this node|the peer): 4004 connected to itself$/);
  assert.equal(a.peers(), []);
  a.addPeer(a.urls[0]);
  await sleep(200);
  assert.is(atA.length, 2);
});

test('a wsmesh.v1 peer is refused with 4003 saying why; plain text before the handshake 4000; no subprotocol 4003', async () => {
  const a = await startNode({ name: 'a' });
  const legacy = await connect(a.urls[0], { protocols: ['wsmesh.v1'] });
  assert.equal(await closeOf(legacy), [4003, 'wsmesh.v2 required: this node only speaks the secure mesh protocol (Noise-encrypted links); upgrade the peer']);
  const early = await connect(a.urls[0], { protocols: ['wsmesh.v2'] });
  const earlyClose = closeOf(early);
  early.send(JSON.stringify({ t: 'msg', id: 'm', from: 'raw-peer', to: a.id, ttl: 4, hops: 0, data: 'sneaky' }));
  assert.equal(await earlyClose, [4000, 'expected a binary Noise handshake message (wsmesh.v2)']);
  const plain = await connect(a.urls[0]);
  assert.equal((await closeOf(plain))[0], 4003);
});

test('a raw client can join in a few messages (browser-style peer)', async () => {
  const a = await startNode({ name: 'a' });
  const received: string[] = [];
  a.on('message', (data) => received.push(String(data)));
  const tab = await RawPeer.join(a.urls[0], { kind: 'browser', name: 'tab' });
  const peer = a.peers().find((entry) => entry.id === tab.id)!;
  assert.equal([peer.kind, peer.state, peer.direction], ['browser', 'connected', 'inbound']);
  await waitFor(() => tab.messages('peers').length > 0, 'the node told the browser peer its peer table');
  const [entry] = tab.messages('peers')[0].peers;
  assert.ok(entry.rtt === null || typeof entry.rtt === 'number');
  assert.equal({ ...entry, rtt: null }, { id: tab.id, name: 'tab', kind: 'browser', state: 'connected', direction: 'inbound', reachable: true, via: null, hops: 1, rtt: null });
  tab.sendJson(tab.sign({ t: 'msg', id: 'm1', from: tab.id, to: a.id, ttl: 8, hops: 0, data: 'hi node' }));
  await waitFor(() => tab.messages('ack').some((message) => message.id === 'm1'), 'the node acknowledged');
  assert.equal(received, ['hi node']);
  tab.sendJson({ t: 'welcome' });
  assert.equal(await tab.waitClosed(), { code: 4000, reason: 'a browser peer may only send its own messages, got welcome' });
});

test('a browser peer cannot speak for others', async () => {
  const a = await startNode({ name: 'a' });
  const tab = await RawPeer.join(a.urls[0], { kind: 'browser', name: 'tab' });
  tab.sendJson({ t: 'msg', id: 'm1', from: 'someone-else', to: null, ttl: 8, hops: 0, data: 'spoof' });
  assert.equal(await tab.waitClosed(), { code: 4000, reason: 'a browser peer may only send its own messages, got msg' });
});

test('maxPeers: the node refuses connections beyond it with 4008', async () => {
  const a = await startNode({ name: 'a', maxPeers: 1 });
  const atA = rejections(a);
  await startNode({ name: 'b', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(a).length === 1, 'the first peer connected');
  await startNode({ name: 'c', peers: [a.urls[0]] });
  await waitFor(() => atA.length > 0, 'the second peer was refused');
  assert.equal(atA[0].code, 4008);
  assert.is(connectedIds(a).length, 1);
});

test.run();
