// Garbage in hello and mesh messages: every case is refused with a documented close code and reported as an
// event, and the node keeps working (a good peer still joins and messages still flow).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshNode, RejectionInfo } from '../../src/mesh/node.ts';
import type { DisconnectReason } from '../../src/mesh/link.ts';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';
import type { WebSocket } from '../../src/transport/websocket.ts';
import { nextEvent, withTimeout } from '../helpers/timeout.ts';
import { startNode, stopAllNodes, waitFor } from '../mesh/support.ts';
import { closeCodeOf, rawWebSocket, serverFrames } from './attacks.ts';

test.after.each(stopAllNodes);

const MIB = 1024 * 1024;

function hello(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { t: 'hello', v: 1, id: 'garbage-peer', name: 'g', mesh: 'wsmesh', kind: 'browser', listen: [], nonce: 'ab', auth: false, boot: 'b', ...overrides };
}

function binaryFrame(header: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(header);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json, payload]);
}

/** A first message over 256 KiB: the codec refuses it with 1009 from its frame header, before buffering it. */
function tooBig(what: string, data: string | Buffer): [string, string | Buffer, number, string] {
  return [what, data, 1009, ''];
}

/** [what is sent as the first message, the close code and reason the node answers with]. */
const FIRST_MESSAGES: Array<[string, string | Buffer, number, string]> = [
  ['bad JSON', '{"t":"hello",', 4000, 'not valid JSON'],
  ['a JSON array', '[1,2,3]', 4000, 'a mesh message must be a JSON object'],
  ['a JSON string', '"hello"', 4000, 'a mesh message must be a JSON object'],
  ['a number as type', '{"t":5}', 4000, 'field "t" must be a string'],
  ['an unknown type before hello', '{"t":"gossip"}', 4000, 'a message of unknown type before the handshake finished (expected hello)'],
  tooBig('a 1 MiB name', JSON.stringify(hello({ name: 'n'.repeat(MIB) }))),
  tooBig('a 1 MiB id', JSON.stringify(hello({ id: 'i'.repeat(MIB) }))),
  tooBig('100k listen URLs', JSON.stringify(hello({ listen: Array(100_000).fill('ws://10.0.0.1:7447/') }))),
  tooBig('a 1 MiB binary frame', binaryFrame(JSON.stringify(hello()), Buffer.alloc(MIB))),
  ['a name of 257 characters', JSON.stringify(hello({ name: 'n'.repeat(257) })), 4000, 'field "name" must be a string of 1..256 characters'],
  ['an id of 200 KB', JSON.stringify(hello({ id: 'i'.repeat(200_000) })), 4000, 'field "id" must be a string of 1..128 characters'],
  ['33 listen URLs', JSON.stringify(hello({ listen: Array(33).fill('ws://10.0.0.1:7447/') })), 4000, 'field "listen" must be an array of at most 32'],
  ['10k listen URLs (220 KB)', JSON.stringify(hello({ listen: Array(10_000).fill('ws://10.0.0.1:7447/') })), 4000, 'field "listen" must be an array of at most 32'],
  ['a listen URL that does not parse', JSON.stringify(hello({ kind: 'node', listen: ['ws://['] })), 4000, '"listen" entries must be ws:// URLs of at most 512 characters'],
  ['a listen URL of another scheme', JSON.stringify(hello({ kind: 'node', listen: ['http://10.0.0.1/'] })), 4000, '"listen" entries must be ws:// URLs of at most 512 characters'],
  ['listen as a string', JSON.stringify(hello({ listen: 'ws://10.0.0.1/' })), 4000, 'field "listen" must be an array of at most 32'],
  ['version as a string', JSON.stringify(hello({ v: '1' })), 4000, 'field "v" must be a non-negative integer'],
  ['a fractional version', JSON.stringify(hello({ v: 1.5 })), 4000, 'field "v" must be a non-negative integer'],
  ['id as a number', JSON.stringify(hello({ id: 42 })), 4000, 'field "id" must be a string of 1..128 characters'],
  ['an empty name', JSON.stringify(hello({ name: '' })), 4000, 'field "name" must be a string of 1..256 characters'],
  ['auth as a string', JSON.stringify(hello({ auth: 'yes' })), 4000, 'field "auth" must be true or false'],
  ['an unknown kind', JSON.stringify(hello({ kind: 'robot' })), 4000, 'field "kind" must be "node" or "browser"'],
  ['null', 'null', 4000, 'a mesh message must be a JSON object'],
  ['deeply nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 4000, 'a mesh message must be a JSON object'],
  ['an unclosed deep nesting', '['.repeat(200_000), 4000, 'not valid JSON'],
  tooBig('a deep nesting of 1 MB', '['.repeat(1_000_000)),
  ['a message before hello', JSON.stringify({ t: 'msg', id: 'm', from: 'garbage-peer', to: null, ttl: 1, hops: 0, data: 'x' }), 4000, 'expected hello, got msg'],
  ['binary garbage', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]), 4000, 'binary header length 3735928559 exceeds the frame'],
  ['a binary frame of 3 bytes', Buffer.from([1, 2, 3]), 4000, 'binary frame shorter than its header length'],
  ['a binary frame with a broken JSON header', binaryFrame('{"t":'), 4000, 'not valid JSON'],
  ['a binary hello', binaryFrame(JSON.stringify(hello())), 4000, 'a binary frame must carry an application message without "data"'],
  ['a 200-character mesh name of 2-byte characters', JSON.stringify(hello({ mesh: 'é'.repeat(200) })), 4002, `mesh "${'é'.repeat(55)}`],
  ['another version', JSON.stringify(hello({ v: 99 })), 4003, 'protocol version 99, expected 1'],
];

async function firstMessage(node: MeshNode, data: string | Buffer): Promise<[number, string]> {
  const ws = await connect(node.urls[0], { protocols: ['wsmesh.v1'] });
  ws.on('error', () => {});
  const closed = nextEvent<[number, string]>(ws, 'close', 20_000);
  ws.send(data);
  return (await closed).slice(0, 2) as [number, string];
}

async function joinAsBrowser(node: MeshNode, id: string): Promise<WebSocket> {
  const ws = await connect(node.urls[0], { protocols: ['wsmesh.v1'] });
  const welcomed = new Promise<void>((resolve) => ws.on('message', (data) => typeof data === 'string' && JSON.parse(data).t === 'welcome' && resolve()));
  ws.send(JSON.stringify(hello({ id, name: id })));
  await withTimeout(welcomed, 10_000, `${id} being welcomed`);
  return ws;
}

test('garbage as the first message: each is closed with its code and reason, reported, and the node goes on', async () => {
  const node = await startNode({ name: 'target', maxPendingPerAddress: 64 });
  const rejected: RejectionInfo[] = [];
  node.on('peer:rejected', (info) => rejected.push(info));
  const warnings: string[] = [];
  node.on('warning', (text) => warnings.push(text));
  for (const [what, data, code, reason] of FIRST_MESSAGES) {
    const [gotCode, gotReason] = await firstMessage(node, data);
    assert.is(gotCode, code, what);
    if (code === 4002) {
      assert.ok(gotReason.startsWith(reason), `${what}: ${gotReason}`);
      assert.ok(Buffer.byteLength(gotReason) <= 123, `${what}: the reason is cut to 123 bytes`);
    } else {
      assert.is(gotReason, reason, what);
    }
  }
  await waitFor(() => rejected.length === FIRST_MESSAGES.length, 'every refusal reported');
  assert.equal(rejected.map((info) => [info.code, info.direction, info.by, info.remoteAddress]), FIRST_MESSAGES.map(([, , code]) => [code, 'inbound', 'local', '127.0.0.1']));
  assert.match(rejected.find((info) => info.code === 4002)!.reason, `mesh "${'é'.repeat(200)}", expected "wsmesh"`);
  assert.equal(warnings, []);
  const good = await joinAsBrowser(node, 'good-tab');
  assert.equal(node.peers().map((peer) => [peer.id, peer.state]), [['good-tab', 'connected']]);
  good.terminate();
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
    const raw = await rawWebSocket(node.port, ['Sec-WebSocket-Protocol: wsmesh.v1']);
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
  (await joinAsBrowser(node, 'good-tab')).terminate();
});

test('after the handshake: unknown types are ignored, garbage closes the link with 4000 and is reported', async () => {
  const node = await startNode({ name: 'target' });
  const disconnected: DisconnectReason[] = [];
  node.on('peer:disconnected', (_peer, reason) => disconnected.push(reason));
  const received: string[] = [];
  node.on('message', (data) => received.push(String(data)));
  const ws = await joinAsBrowser(node, 'tab');
  ws.send(JSON.stringify({ t: 'future-thing', x: 1 }));
  ws.send(JSON.stringify({ t: 'msg', id: 'm1', from: 'tab', to: null, ttl: 4, hops: 0, data: 'still here' }));
  await waitFor(() => received.length === 1, 'the message after the unknown type');
  assert.equal(received, ['still here']);
  const closed = nextEvent<[number, string]>(ws, 'close');
  ws.send(JSON.stringify({ t: 'msg', id: 'm2', from: 'tab', to: null, ttl: 'many', hops: 0, data: 'x' }));
  assert.equal((await closed).slice(0, 2), [4000, 'field "ttl" must be a non-negative integer']);
  await waitFor(() => disconnected.length === 1, 'the disconnect reported');
  assert.equal(disconnected, [{ type: 'close', code: 4000, reason: 'field "ttl" must be a non-negative integer', by: 'local' }]);
});

test('an exception while handling a message (here: in a message listener) closes that link with 1011, never the process', async () => {
  const node = await startNode({ name: 'target' });
  const warnings: string[] = [];
  node.on('warning', (text) => warnings.push(text));
  node.on('message', (data) => {
    if (data === 'boom') throw new Error('listener bug');
  });
  const ws = await joinAsBrowser(node, 'tab');
  const closed = nextEvent<[number, string]>(ws, 'close');
  ws.send(JSON.stringify({ t: 'msg', id: 'm1', from: 'tab', to: null, ttl: 4, hops: 0, data: 'boom' }));
  assert.equal((await closed).slice(0, 2), [1011, 'internal error']);
  assert.is(warnings.length, 1);
  assert.match(warnings[0], 'internal error while handling a message from tab (closed with 1011): Error: listener bug');
  (await joinAsBrowser(node, 'tab-2')).terminate();
});

test('a node that hears garbage from a node it dialled reports it and redials with backoff, without crashing', async () => {
  const fake = new WebSocketServer({ host: '127.0.0.1', protocols: ['wsmesh.v1'] });
  fake.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.send(JSON.stringify(hello({ kind: 'node', id: 'fake-node', listen: ['ws://['] })));
  });
  const { port } = await fake.listen();
  try {
    const node = await startNode({ name: 'dialer', peers: [`ws://127.0.0.1:${port}/`] });
    const rejected: RejectionInfo[] = [];
    node.on('peer:rejected', (info) => rejected.push(info));
    await waitFor(() => rejected.length >= 2, 'two refused dials');
    assert.equal(rejected.slice(0, 2).map((info) => [info.code, info.direction, info.url]), [
      [4000, 'outbound', `ws://127.0.0.1:${port}/`],
      [4000, 'outbound', `ws://127.0.0.1:${port}/`],
    ]);
    assert.is(rejected[0].reason, '"listen" entries must be ws:// URLs of at most 512 characters');
  } finally {
    await fake.close();
  }
});

test.run();
