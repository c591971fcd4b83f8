// Garbage before, inside and after the link handshake: every case is refused with a documented close code and
// reported as an event, and the node keeps working (a good peer still joins and messages still flow).
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode, RejectionInfo } from '../../src/mesh/node.ts';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import { nextEvent } from '../helpers/timeout.ts';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { RawPeer } from '../security/raw-peer.ts';
import type { Json } from '../security/raw-peer.ts';
import { closeCodeOf, rawWebSocket, serverFrames } from './attacks.ts';

test.after.each(stopAllNodes);

/** [what is sent as the first WebSocket message, the close code and reason the node answers with]. */
const FIRST_MESSAGES: Array<[string, string | Buffer, number, string]> = [
  ['a JSON hello in a text message (wsmesh.v1 style)', JSON.stringify({ t: 'hello', v: 1 }), 4000, 'expected a binary Noise handshake message (wsmesh.v2)'],
  ['3 bytes', Buffer.from([1, 2, 3]), 4001, 'Noise handshake message 1 invalid: handshake message too short'],
  ['70 000 bytes', randomBytes(70_000), 1009, ''],
];

/** [what the hello inside the Noise handshake says, the close code and reason]. */
const HELLOS: Array<[string, Json, number, string]> = [
  ['a name of 257 characters', { name: 'n'.repeat(257) }, 4000, 'hello field "name" must be a string of 1..256 characters'],
  ['an empty name', { name: '' }, 4000, 'hello field "name" must be a string of 1..256 characters'],
  ['33 listen URLs', { listen: Array(33).fill('ws://10.0.0.1:7447/') }, 4000, 'hello field "listen" must be an array of at most 32'],
  ['a listen URL that does not parse', { kind: 'node', listen: ['ws://['] }, 4000, 'hello "listen" entries must be ws:// URLs'],
  ['a listen URL of another scheme', { kind: 'node', listen: ['http://10.0.0.1/'] }, 4000, 'hello "listen" entries must be ws:// URLs of at most 512 characters'],
  ['listen as a string', { listen: 'ws://10.0.0.1/' }, 4000, 'hello field "listen" must be an array of at most 32'],
  ['an unknown kind', { kind: 'robot' }, 4000, 'hello field "kind" must be "node" or "browser"'],
  ['boot as a number', { boot: 5 }, 4000, 'hello field "boot" must be a string of 1..128 characters'],
  ['another version', { v: 99 }, 4003, 'protocol version 99, expected 2'],
];

async function firstMessage(node: MeshNode, data: string | Buffer): Promise<[number, string]> {
  const ws = await connect(node.urls[0], { protocols: ['wsmesh.v2'] });
  ws.on('error', () => {});
  const closed = nextEvent<[number, string]>(ws, 'close', 20_000);
  ws.send(data);
  return (await closed).slice(0, 2) as [number, string];
}

function join(node: MeshNode, name: string): Promise<RawPeer> {
  return RawPeer.join(node.urls[0], { kind: 'browser', name });
}

test('garbage before and inside the handshake: each is closed with its code and reason, reported, and the node goes on', async () => {
  const node = await startNode({ name: 'target', maxPendingPerAddress: 64 });
  const rejected: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => rejected.push(info));
  const warnings: string[] = [];
  node.on('warning', (text) => warnings.push(text));
  for (const [what, data, code, reason] of FIRST_MESSAGES) {
    assert.equal(await firstMessage(node, data), [code, reason], what);
  }
  for (const [what, hello, code, reason] of HELLOS) {
    const peer = await RawPeer.open(node.urls[0], { kind: 'browser', name: 'g', hello });
    await peer.handshake().then(() => assert.unreachable(`${what}: joined`), () => {});
    assert.equal(await peer.waitClosed(), { code, reason }, what);
  }
  const expected = [...FIRST_MESSAGES, ...HELLOS].map(([, , code]) => [code, 'inbound', 'local', '127.0.0.1']);
  await waitFor(() => rejected.length === expected.length, 'every refusal reported');
  assert.equal(rejected.map((info) => [info.code, info.direction, info.by, info.remoteAddress]), expected);
  assert.equal(warnings, []);
  const good = await join(node, 'good-tab');
  assert.equal(node.peers().map((peer) => [peer.id, peer.state]), [[good.id, 'connected']]);
  good.ws.terminate();
});

test('codec-level garbage: invalid UTF-8 -> 1007, a message over maxPayload -> 1009, a reserved opcode -> 1002', async () => {
  const node = await startNode({ name: 'target', maxPayload: 4096 });
  const rejected: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => rejected.push(info));
  const cases: Array<[string, Buffer, number]> = [
    ['invalid UTF-8 text', Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc0, 0xaf]), 1007],
    ['a 5000-byte message', Buffer.concat([Buffer.from([0x82, 0xfe, 0x13, 0x88, 0, 0, 0, 0]), Buffer.alloc(5000)]), 1009],
    ['opcode 0x3', Buffer.from([0x83, 0x80, 0, 0, 0, 0]), 1002],
    ['random bytes', Buffer.from('0fe1c2b3a4958677', 'hex'), 1002],
  ];
  for (const [what, bytes, code] of cases) {
    const raw = await rawWebSocket(node.port, ['Sec-WebSocket-Protocol: wsmesh.v2']);
    raw.socket.write(bytes);
    const received = await raw.closed;
    assert.is(closeCodeOf(serverFrames(received).filter(([opcode]) => opcode === 0x8)), code, what);
  }
  await waitFor(() => node.connectionCount === 0, 'every failed connection closed on the node');
  assert.equal(rejected.map((info) => [info.code, info.by]), cases.map(([, , code]) => [code, 'local']));
  assert.equal(rejected.map((info) => info.reason), [
    'text message is not valid UTF-8',
    'message of 5000 bytes or more exceeds maxPayload of 4096 bytes',
    'reserved opcode 0x3',
    'reserved opcode 0xf',
  ]);
  (await join(node, 'good-tab')).ws.terminate();
});

test('after the handshake: unknown types are ignored; bad fields, text frames and undecryptable messages close with 4000', async () => {
  const node = await startNode({ name: 'target' });
  const disconnected: DisconnectReason[] = [];
  node.on('peer:disconnected', (_peer, reason) => disconnected.push(reason));
  const received: string[] = [];
  node.on('message', (data) => received.push(String(data)));
  const tab = await join(node, 'tab');
  tab.sendJson({ t: 'future-thing', x: 1 });
  tab.sendJson(tab.sign({ t: 'msg', id: 'm1', from: tab.id, to: null, ttl: 4, hops: 0, data: 'still here' }));
  await waitFor(() => received.length === 1, 'the message after the unknown type');
  assert.equal(received, ['still here']);
  tab.sendJson({ t: 'msg', id: 'm2', from: tab.id, to: null, ttl: 'many', hops: 0, data: 'x' });
  assert.equal(await tab.waitClosed(), { code: 4000, reason: 'field "ttl" must be a non-negative integer' });
  const text = await join(node, 'tab-2');
  text.ws.send('{"t":"msg"}');
  assert.equal(await text.waitClosed(), { code: 4000, reason: 'a text WebSocket message on an encrypted link' });
  const noise = await join(node, 'tab-3');
  noise.ws.send(randomBytes(100));
  assert.equal(await noise.waitClosed(), { code: 4000, reason: 'transport message rejected: decryption failed (wrong key or altered message)' });
  await waitFor(() => disconnected.length === 3, 'the disconnects reported');
  assert.equal(disconnected[0], { type: 'close', code: 4000, reason: 'field "ttl" must be a non-negative integer', by: 'local' });
});

test('an exception while handling a message (here: in a message listener) closes that link with 1011, never the process', async () => {
  const node = await startNode({ name: 'target' });
  const warnings: string[] = [];
  node.on('warning', (text) => warnings.push(text));
  node.on('message', (data) => {
    if (data === 'boom') throw new Error('listener bug');
  });
  const tab = await join(node, 'tab');
  tab.sendJson(tab.sign({ t: 'msg', id: 'm1', from: tab.id, to: null, ttl: 4, hops: 0, data: 'boom' }));
  assert.equal(await tab.waitClosed(), { code: 1011, reason: 'internal error' });
  assert.is(warnings.length, 1);
  assert.match(warnings[0], `internal error while handling a message from ${tab.id} (closed with 1011): Error: listener bug`);
  (await join(node, 'tab-2')).ws.terminate();
});

test('a node that hears garbage from a node it dialled reports it and redials with backoff, without crashing', async () => {
  const fake = new WebSocketServer({ host: '127.0.0.1', protocols: ['wsmesh.v2'] });
  fake.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', () => ws.send(randomBytes(120)));
  });
  const { port } = await fake.listen();
  try {
    const node = await startNode({ name: 'dialer', peers: [`ws://127.0.0.1:${port}/`] });
    const rejected: RejectionInfo[] = [];
    node.on('peer:rejected', (info) => rejected.push(info));
    await waitFor(() => rejected.length >= 2, 'two refused dials');
    assert.equal(rejected.slice(0, 2).map((info) => [info.code, info.direction, info.url]), [
      [4001, 'outbound', `ws://127.0.0.1:${port}/`],
      [4001, 'outbound', `ws://127.0.0.1:${port}/`],
    ]);
    assert.match(rejected[0].reason, /^Noise handshake message 2 invalid: /);
  } finally {
    await fake.close();
  }
});

test.run();
