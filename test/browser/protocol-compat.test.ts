// The page and the node share one envelope (src/wire/envelope.js): the page uses it on Uint8Array, the node through
// its Buffer edge (src/mesh/envelope.ts). The same bytes both ways, inside the link's encrypted transport, in Node.
// (The link itself is tested in Chromium: page-handshake.test.ts, page-observer.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshProtocolError } from '../../src/mesh/close-codes.ts';
import { decodeFrame as nodeDecode, encodeApp as nodeEncodeApp, encodeControl } from '../../src/mesh/envelope.ts';
import { WireError } from '../../src/wire/errors.js';
import { appMessage, decodeFrame as pageDecode, encodeMessage } from '../../src/wire/envelope.js';

/** Deterministic bytes 0..n-1 (mod 251), so failures are reproducible. */
function bytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 7 + 3) % 251);
}

const utf8 = (data: string) => new TextEncoder().encode(data);

test('a text message from the page decodes on the node with every field', () => {
  const header = { t: 'msg' as const, id: 'm1', from: 'b1', to: null, ttl: 16, hops: 0 };
  const { message, payload } = appMessage(header, 'héllo <b>');
  const encoded = encodeMessage(message, payload);
  assert.type(encoded, 'string');
  assert.equal(nodeDecode(encoded as string, false), { message: { ...header, data: 'héllo <b>' } });
});

test('a binary message from the page decodes on the node with the exact payload, as a Buffer view', () => {
  const header = { t: 'msg' as const, id: 'm2', from: 'b1', to: 'n1', ttl: 16, hops: 0 };
  const { message, payload } = appMessage(header, bytes(70_000));
  const encoded = encodeMessage(message, payload) as Uint8Array;
  assert.instance(encoded, Uint8Array);
  const frame = Buffer.from(encoded);
  const decoded = nodeDecode(frame, true);
  assert.equal(decoded?.message, header);
  assert.ok(Buffer.isBuffer(decoded!.payload));
  assert.is(decoded!.payload!.buffer, frame.buffer, 'the payload is a view into the frame, not a copy');
  assert.equal(Buffer.compare(decoded!.payload!, Buffer.from(bytes(70_000))), 0);
});

test('text and binary messages from the node decode in the page', () => {
  const header = { t: 'msg' as const, id: 'm3', from: 'n1', to: 'b1', ttl: 15, hops: 1 };
  assert.equal(pageDecode(utf8(nodeEncodeApp(header, 'hi') as string), false), { message: { ...header, data: 'hi' } });
  const frame = nodeEncodeApp(header, bytes(300)) as Buffer;
  assert.ok(Buffer.isBuffer(frame));
  assert.equal(Array.from(frame.subarray(0, 4)), [0, 0, 0, JSON.stringify(header).length]);
  const decoded = pageDecode(new Uint8Array(frame), true);
  assert.equal(decoded?.message, header);
  assert.equal(Array.from(decoded!.payload!), Array.from(bytes(300)));
});

test('the page reads the peers table a node sends it; the node ignores it', () => {
  const peers = encodeControl({ t: 'peers', peers: [] });
  assert.equal(pageDecode(utf8(peers), false), { message: { t: 'peers', peers: [] } });
  assert.is(nodeDecode(peers, false), null);
  assert.throws(() => pageDecode(utf8('{"t":"peers","peers":{}}'), false), /field "peers" must be an array of at most 4096/);
});

test('broken messages are refused with 4000 and the same words on both sides (WireError in the page)', () => {
  const links = encodeControl({ t: 'links', origin: 'n1', boot: 'b1', seq: 1, name: 'n', kind: 'node', links: [] });
  assert.is(pageDecode(utf8(links), false)?.message.t, 'links');
  const broken: Array<[string, RegExp]> = [
    ['not json', /^not valid JSON$/],
    ['[1]', /^a mesh message must be a JSON object$/],
    ['{"t":1}', /^field "t" must be a string$/],
    ['{"t":"msg","id":"x","from":"y","to":null,"hops":0}', /^field "ttl" must be a non-negative integer$/],
  ];
  for (const [text, words] of broken) {
    assert.throws(() => pageDecode(utf8(text), false), (error: Error & { code?: number }) => error instanceof WireError && error.code === 4000 && words.test(error.message), text);
    assert.throws(() => nodeDecode(text, false), (error: Error & { code?: number }) => error instanceof MeshProtocolError && error.code === 4000 && words.test(error.message), text);
  }
  assert.throws(() => pageDecode(new Uint8Array([0xff, 0xfe]), false), /^not valid JSON$/);
  // A header that is not UTF-8 is refused on the node too (Buffer's decoding would have replaced the bytes).
  const header = utf8('{"t":"msg","id":"m","from":"n1","to":null,"ttl":1,"hops":0,"seq":1,"x":"\u00e9"}');
  header[header.length - 3] = 0xff;
  const frame = Buffer.concat([Buffer.from([0, 0, 0, header.length]), header, Buffer.from([1, 2])]);
  assert.throws(() => nodeDecode(frame, true), (error: Error) => error instanceof MeshProtocolError && error.message === 'not valid JSON');
  assert.throws(() => pageDecode(frame, true), /^not valid JSON$/);
  assert.throws(() => pageDecode(new Uint8Array([0, 0, 0, 9, 123]), true), /binary header length 9 exceeds the frame/);
  assert.throws(() => pageDecode(utf8('{"t":"welcome"}'), true), /binary/);
});

test.run();
