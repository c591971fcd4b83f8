// The browser client (src/browser, plain JS) against the node's implementation of wsmesh.v1
// (src/mesh): same frames, same proofs, and a complete opening handshake between the two, in Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame as nodeDecode, encodeApp as nodeEncodeApp, encodeControl } from '../../src/mesh/envelope.ts';
import type { MeshMessage } from '../../src/mesh/envelope.ts';
import { loadEnvelope } from './support/browser-modules.ts';

const envelope = await loadEnvelope();

/** Deterministic bytes 0..n-1 (mod 251), so failures are reproducible. */
function bytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 7 + 3) % 251);
}

function arrayBufferOf(data: Uint8Array | Buffer): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

test('a text message from the browser decodes on the node with every field', () => {
  const header = { t: 'msg', id: 'm1', from: 'b1', to: null, ttl: 16, hops: 0 };
  const frame = envelope.encodeApp(header, 'héllo <b>');
  assert.type(frame, 'string');
  const decoded = nodeDecode(frame as string, false);
  assert.equal(decoded, { message: { ...header, data: 'héllo <b>' } });
});

test('a binary message from the browser decodes on the node with the exact payload', () => {
  const header = { t: 'msg', id: 'm2', from: 'b1', to: 'n1', ttl: 16, hops: 0 };
  const payload = bytes(70_000);
  const frame = envelope.encodeApp(header, payload) as Uint8Array;
  const decoded = nodeDecode(Buffer.from(frame), true);
  assert.equal(decoded?.message, header);
  assert.equal(Buffer.compare(decoded!.payload!, Buffer.from(payload)), 0);
});

test('text and binary messages from the node decode in the browser', () => {
  const header = { t: 'msg' as const, id: 'm3', from: 'n1', to: 'b1', ttl: 15, hops: 1 };
  assert.equal(envelope.decodeFrame(nodeEncodeApp(header, 'hi') as string), { message: { ...header, data: 'hi' } });
  const binary = nodeEncodeApp(header, bytes(300)) as Buffer;
  const decoded = envelope.decodeFrame(arrayBufferOf(binary));
  assert.equal(decoded?.message, header);
  assert.equal(Array.from(decoded!.payload!), Array.from(bytes(300)));
});

test('the browser ignores message types it does not use (links) and rejects broken frames', () => {
  const links = encodeControl({ t: 'links', origin: 'n1', boot: 'b1', seq: 1, name: 'n', kind: 'node', links: [] });
  assert.is(envelope.decodeFrame(links), null);
  for (const broken of ['not json', '[1]', '{"t":1}', '{"t":"msg","id":"x","from":"y","to":null,"hops":0}']) {
    assert.throws(() => envelope.decodeFrame(broken), /JSON|object|string|data/, broken);
  }
  assert.throws(() => envelope.decodeFrame(new Uint8Array([0, 0, 0, 9, 123]).buffer), /exceeds/);
});

// The v1 proof and handshake comparisons went with wsmesh.v1; the v2 link handshake is src/wire (test/wire).

test.run();
