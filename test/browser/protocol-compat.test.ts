// The browser client (src/browser, plain JS) against the node's implementation of wsmesh.v1
// (src/mesh): same frames, same proofs, and a complete opening handshake between the two, in Node.
import { createHash, createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeProof as nodeProof } from '../../src/mesh/auth.ts';
import { decodeFrame as nodeDecode, encodeApp as nodeEncodeApp, encodeControl } from '../../src/mesh/envelope.ts';
import { LinkHandshake as NodeHandshake } from '../../src/mesh/handshake.ts';
import type { HandshakeStep as NodeStep } from '../../src/mesh/handshake.ts';
import type { MeshMessage } from '../../src/mesh/envelope.ts';
import { loadAuthProof, loadEnvelope, loadLinkHandshake, loadSha256 } from './support/browser-modules.ts';
import type { BrowserHandshake, BrowserHandshakeStep } from './support/browser-modules.ts';

const envelope = await loadEnvelope();
const authProof = await loadAuthProof();
const sha = await loadSha256();
const { LinkHandshake: BrowserLinkHandshake } = await loadLinkHandshake();

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

test('the plain-JS SHA-256 and HMAC equal node:crypto for every length around the block size', () => {
  for (let length = 0; length <= 200; length++) {
    const message = bytes(length);
    const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
    assert.is(hex(sha.sha256(message)), createHash('sha256').update(message).digest('hex'), `sha256 of ${length} bytes`);
    const key = bytes(length % 150);
    assert.is(hex(sha.hmacSha256(key, message)), createHmac('sha256', key).update(message).digest('hex'), `hmac, key ${key.length} bytes`);
  }
});

test('the browser proof (WebCrypto) equals the node proof, also for non-ASCII secrets', async () => {
  for (const secret of ['s3cret', 'pässwörd ✓', 'x'.repeat(100)]) {
    assert.is(await authProof.computeProof(secret, 'id-b', 'nonce-b', 'nonce-n'), nodeProof(secret, 'id-b', 'nonce-b', 'nonce-n'));
  }
});

test('without WebCrypto (plain-http pages) the proof is the same', async () => {
  const subtle = Object.getOwnPropertyDescriptor(globalThis.crypto, 'subtle');
  const cryptoObject = globalThis.crypto as unknown as Record<string, unknown>;
  Object.defineProperty(globalThis.crypto, 'subtle', { value: undefined, configurable: true });
  try {
    assert.is(cryptoObject.subtle, undefined);
    assert.is(await authProof.computeProof('pässwörd', 'a', 'b', 'c'), nodeProof('pässwörd', 'a', 'b', 'c'));
  } finally {
    if (subtle === undefined) delete cryptoObject.subtle;
    else Object.defineProperty(globalThis.crypto, 'subtle', subtle);
  }
});

interface Outcome {
  node: { state: string; fails: Array<{ code: number; reason: string }> };
  browser: { state: string; fail: { closeCode: number; code: string; fatal: boolean } | null };
  browserHello: Record<string, unknown> | null;
}

/** Runs the node's handshake and the browser's against each other, the node admitting when asked. */
async function handshake(nodeSecret: string | undefined, browserSecret: string | undefined, mesh?: string): Promise<Outcome> {
  const node = new NodeHandshake({ id: 'node-1', name: 'alpha', mesh: 'lab', kind: 'node', listen: ['ws://127.0.0.1:1/'], boot: 'b', secret: nodeSecret });
  const browser: BrowserHandshake = new BrowserLinkHandshake({ id: 'page-1', name: 'Page', mesh, secret: browserSecret });
  const outcome: Outcome = { node: { state: '', fails: [] }, browser: { state: '', fail: null }, browserHello: null };
  const toBrowser: unknown[] = [JSON.parse(encodeControl(node.hello()))];
  const toNode: MeshMessage[] = [];
  for (let round = 0; round < 10 && (toBrowser.length > 0 || toNode.length > 0); round++) {
    while (toBrowser.length > 0 && browser.state !== 'failed') {
      const step: BrowserHandshakeStep = await browser.receive(toBrowser.shift());
      if (step.type === 'fail') outcome.browser.fail = { closeCode: step.closeCode, code: step.problem.code, fatal: step.problem.fatal };
      if (step.type === 'send') {
        for (const message of step.messages) {
          if (message.t === 'hello') outcome.browserHello = message;
          toNode.push(nodeDecode(JSON.stringify(message), false)!.message);
        }
      }
    }
    while (toNode.length > 0 && node.state !== 'failed') {
      const steps: NodeStep[] = node.receive(toNode.shift()!);
      for (const step of steps) {
        if (step.type === 'send') toBrowser.push(JSON.parse(encodeControl(step.message)));
        if (step.type === 'fail') outcome.node.fails.push({ code: step.code, reason: step.reason });
        if (step.type === 'admit') toBrowser.push(JSON.parse(encodeControl(node.welcome())));
      }
    }
  }
  outcome.node.state = node.state;
  outcome.browser.state = browser.state;
  return outcome;
}

test('handshake without a secret: the browser takes the node mesh and hellos as kind browser', async () => {
  const outcome = await handshake(undefined, undefined);
  assert.is(outcome.node.state, 'established');
  assert.is(outcome.browser.state, 'established');
  const hello = outcome.browserHello!;
  assert.equal([hello.v, hello.id, hello.name, hello.mesh, hello.kind, hello.listen, hello.auth], [1, 'page-1', 'Page', 'lab', 'browser', [], false]);
});

test('handshake with the right secret: both proofs verify', async () => {
  const outcome = await handshake('s3cret', 's3cret');
  assert.equal(outcome.node, { state: 'established', fails: [] });
  assert.equal(outcome.browser, { state: 'established', fail: null });
});

test('handshake with a wrong secret: the node closes with 4001 and the browser reports wrong-secret', async () => {
  const outcome = await handshake('s3cret', 'guess');
  assert.equal(outcome.node.fails, [{ code: 4001, reason: 'wrong secret' }]);
  assert.equal(outcome.browser.fail, { closeCode: 4001, code: 'wrong-secret', fatal: true });
});

test('a node with a secret and a page without one: the page stops with secret-required before its hello', async () => {
  const outcome = await handshake('s3cret', undefined);
  assert.is(outcome.browserHello, null);
  assert.equal(outcome.browser.fail, { closeCode: 1000, code: 'secret-required', fatal: true });
});

test('a page with a secret and a node without one: the page does not claim auth and is admitted', async () => {
  const outcome = await handshake(undefined, 'unneeded');
  assert.is(outcome.browserHello!.auth, false);
  assert.is(outcome.node.state, 'established');
});

test('a page told another mesh is refused by the node with 4002', async () => {
  const outcome = await handshake(undefined, undefined, 'other');
  assert.equal(outcome.node.fails.map((fail) => fail.code), [4002]);
});

test.run();
