// The browser's mesh messages (src/browser/envelope.js, plain JS) against the node's implementation
// (src/mesh/envelope.ts): the same bytes both ways, inside the link's encrypted transport, in Node.
// (The link itself is tested in Chromium: page-handshake.test.ts, page-observer.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame as nodeDecode, encodeApp as nodeEncodeApp, encodeControl } from '../../src/mesh/envelope.ts';
import { appMessage, decodeMessage, encodeMessage } from '../../src/browser/envelope.js';

/** Deterministic bytes 0..n-1 (mod 251), so failures are reproducible. */
function bytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 7 + 3) % 251);
}

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const utf8 = (data: string) => new TextEncoder().encode(data);

test('a text message from the browser decodes on the node with every field', () => {
  const header = { t: 'msg', id: 'm1', from: 'b1', to: null, ttl: 16, hops: 0 };
  const { message, payload } = appMessage(header, 'héllo <b>');
  const encoded = encodeMessage(message, payload);
  assert.is(encoded.binary, false);
  assert.equal(nodeDecode(text(encoded.bytes), false), { message: { ...header, data: 'héllo <b>' } });
});

test('a binary message from the browser decodes on the node with the exact payload', () => {
  const header = { t: 'msg', id: 'm2', from: 'b1', to: 'n1', ttl: 16, hops: 0 };
  const { message, payload } = appMessage(header, bytes(70_000));
  const encoded = encodeMessage(message, payload);
  assert.is(encoded.binary, true);
  const decoded = nodeDecode(Buffer.from(encoded.bytes), true);
  assert.equal(decoded?.message, header);
  assert.equal(Buffer.compare(decoded!.payload!, Buffer.from(bytes(70_000))), 0);
});

test('text and binary messages from the node decode in the browser', () => {
  const header = { t: 'msg' as const, id: 'm3', from: 'n1', to: 'b1', ttl: 15, hops: 1 };
  assert.equal(decodeMessage(utf8(nodeEncodeApp(header, 'hi') as string), false), { message: { ...header, data: 'hi' } });
  const decoded = decodeMessage(new Uint8Array(nodeEncodeApp(header, bytes(300)) as Buffer), true);
  assert.equal(decoded?.message, header);
  assert.equal(Array.from(decoded!.payload!), Array.from(bytes(300)));
});

test('the browser ignores message types it does not use (links) and rejects broken messages with 4000', () => {
  const links = encodeControl({ t: 'links', origin: 'n1', boot: 'b1', seq: 1, name: 'n', kind: 'node', links: [] });
  assert.is(decodeMessage(utf8(typeof links === 'string' ? links : text(links)), false), null);
  for (const broken of ['not json', '[1]', '{"t":1}', '{"t":"msg","id":"x","from":"y","to":null,"hops":0}']) {
    assert.throws(() => decodeMessage(utf8(broken), false), (error: Error & { code?: number }) => error.code === 4000, broken);
  }
  assert.throws(() => decodeMessage(new Uint8Array([0, 0, 0, 9, 123]), true), /exceeds/);
  assert.throws(() => decodeMessage(utf8('{"t":"welcome"}'), true), /binary/);
});

test.run();
