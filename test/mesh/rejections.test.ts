import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeControl } from '../../src/mesh/envelope.ts';
import type { RejectionInfo } from '../../src/mesh/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import { connect } from '../../src/transport/connect.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

function rejections(node: MeshNode): RejectionInfo[] {
  const seen: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => seen.push(info));
  return seen;
}

function closeOf(ws: WebSocket): Promise<[number, string]> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason])));
}

function rawHello(overrides: object = {}): string {
  return JSON.stringify({
    t: 'hello', v: 1, id: 'raw-peer', name: 'raw', mesh: 'wsmesh', kind: 'node', listen: [], nonce: 'ab', auth: false, boot: 'b', ...overrides,
  });
}

test('the same secret connects; a wrong secret is closed with 4001 on both sides', async () => {
  const a = await startNode({ name: 'a', secret: 'correct horse' });
  const good = await startNode({ name: 'good', secret: 'correct horse', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(good).length === 1, 'the peer with the right secret connected');
  const atA = rejections(a);
  const bad = await startNode({ name: 'bad', secret: 'wrong', peers: [a.urls[0]] });
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

test('a peer of another mesh is closed with 4002 and not redialled in a storm', async () => {
  const a = await startNode({ name: 'a', mesh: 'blue' });
  const b = await startNode({ name: 'b', mesh: 'green', reconnect: { min: 20, max: 60_000, jitter: 0 } });
  const atA = rejections(a);
  const atB = rejections(b);
  b.addPeer(a.urls[0]);
  await waitFor(() => atB.length > 0, 'b saw the refusal');
  await sleep(600);
  assert.equal(atB.map((info) => [info.code, info.direction]), [[4002, 'outbound']]);
  assert.equal(atA.map((info) => [info.code, info.direction]), [[4002, 'inbound']]);
  assert.match(atA[0].reason, 'mesh "green", expected "blue"');
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

test('incompatible version 4003, message before hello 4000, no subprotocol 4000', async () => {
  const a = await startNode({ name: 'a' });
  const versioned = await connect(a.urls[0], { protocols: ['wsmesh.v1'] });
  const versionClose = closeOf(versioned);
  versioned.send(rawHello({ v: 2 }));
  assert.equal(await versionClose, [4003, 'protocol version 2, expected 1']);
  const early = await connect(a.urls[0], { protocols: ['wsmesh.v1'] });
  const earlyClose = closeOf(early);
  early.send(JSON.stringify({ t: 'msg', id: 'm', from: 'raw-peer', to: a.id, ttl: 4, hops: 0, data: 'sneaky' }));
  assert.equal(await earlyClose, [4000, 'expected hello, got msg']);
  const plain = await connect(a.urls[0]);
  assert.equal(await closeOf(plain), [4000, 'subprotocol wsmesh.v1 required']);
});

test('a raw client can join in a few messages (browser-style peer)', async () => {
  const a = await startNode({ name: 'a' });
  const received: string[] = [];
  a.on('message', (data) => received.push(String(data)));
  const ws = await connect(a.urls[0], { protocols: ['wsmesh.v1'] });
  const inbox: Array<{ t: string; [key: string]: unknown }> = [];
  ws.on('message', (data) => inbox.push(JSON.parse(String(data))));
  ws.send(rawHello({ kind: 'browser', id: 'tab-1', name: 'tab' }));
  await waitFor(() => inbox.some((message) => message.t === 'welcome'), 'the node welcomed the raw peer');
  assert.equal(inbox[0].t, 'hello');
  const peer = a.peers().find((entry) => entry.id === 'tab-1')!;
  assert.equal([peer.kind, peer.state, peer.direction], ['browser', 'connected', 'inbound']);
  const peersMessage = () => inbox.find((message) => message.t === 'peers') as { peers: Array<Record<string, unknown>> } | undefined;
  await waitFor(() => peersMessage() !== undefined, 'the node told the browser peer its peer table');
  const [entry] = peersMessage()!.peers;
  assert.ok(entry.rtt === null || typeof entry.rtt === 'number');
  assert.equal({ ...entry, rtt: null }, { id: 'tab-1', name: 'tab', kind: 'browser', state: 'connected', direction: 'inbound', reachable: true, via: null, hops: 1, rtt: null });
  ws.send(JSON.stringify({ t: 'msg', id: 'm1', from: 'tab-1', to: a.id, ttl: 8, hops: 0, data: 'hi node' }));
  await waitFor(() => inbox.some((message) => message.t === 'ack' && message.id === 'm1'), 'the node acknowledged');
  assert.equal(received, ['hi node']);
  const closed = closeOf(ws);
  ws.send(encodeControl({ t: 'welcome' }));
  assert.equal(await closed, [4000, 'a browser peer may only send its own messages, got welcome']);
});

test('a browser peer cannot speak for others', async () => {
  const a = await startNode({ name: 'a' });
  const ws = await connect(a.urls[0], { protocols: ['wsmesh.v1'] });
  const inbox: Array<{ t: string }> = [];
  ws.on('message', (data) => inbox.push(JSON.parse(String(data))));
  ws.send(rawHello({ kind: 'browser', id: 'tab-2', name: 'tab' }));
  await waitFor(() => inbox.some((message) => message.t === 'welcome'), 'welcomed');
  const closed = closeOf(ws);
  ws.send(JSON.stringify({ t: 'msg', id: 'm1', from: 'someone-else', to: null, ttl: 8, hops: 0, data: 'spoof' }));
  assert.equal(await closed, [4000, 'a browser peer may only send its own messages, got msg']);
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
