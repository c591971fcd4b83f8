// The node's `compression` option: permessage-deflate between nodes ('all'), only for web pages ('browsers',
// the default: requests with an Origin header), or never ('off').
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
import type { Compression } from '../../src/mesh/compression.ts';
import { resolveOptions } from '../../src/mesh/options.ts';
import { createNode } from '../../src/node.ts';
import { rawConnect, upgradeRequest } from '../transport/raw-client.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

const AGREED = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

async function linkedPair(a: Compression, b: Compression): Promise<[MeshNode, MeshNode]> {
  const first = await startNode({ name: 'a', compression: a });
  const second = await startNode({ name: 'b', compression: b, peers: [first.urls[0]] });
  await waitFor(() => connectedIds(first).length === 1 && connectedIds(second).length === 1, 'the pair connected');
  return [first, second];
}

function extensionsOf(node: MeshNode, peer: MeshNode): string {
  return liveLink(node, peer.id)!.socket.extensions;
}

/** The Sec-WebSocket-Extensions answer to a browser-like upgrade (with or without Origin) offering deflate. */
async function answerTo(node: MeshNode, origin: boolean): Promise<string | null> {
  const raw = await rawConnect(node.port);
  const extra = ['Sec-WebSocket-Protocol: wsmesh.v1', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'];
  if (origin) extra.push(`Origin: http://127.0.0.1:${node.port}`);
  raw.socket.write(upgradeRequest('/', extra, `127.0.0.1:${node.port}`));
  const answer = (await raw.until((bytes) => bytes.includes('\r\n\r\n'), 'the 101')).toString('latin1');
  raw.socket.destroy();
  assert.is(answer.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols');
  return /\r\nSec-WebSocket-Extensions: ([^\r]*)\r\n/i.exec(answer)?.[1] ?? null;
}

test("'all' on both nodes: the link is compressed and a large compressible message arrives intact", async () => {
  const [a, b] = await linkedPair('all', 'all');
  assert.is(extensionsOf(a, b), AGREED);
  assert.is(extensionsOf(b, a), AGREED);
  const text = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ i, name: `sensor-${i % 50}` })));
  const binary = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 13));
  const received: Array<string | Buffer> = [];
  b.on('message', (data) => received.push(data));
  await a.send(b.id, text);
  await a.send(b.id, binary);
  assert.is(received[0], text);
  assert.ok(Buffer.isBuffer(received[1]) && received[1].equals(binary));
});

test("the default ('browsers') and 'off' never compress node-to-node links; 'all' against 'browsers' neither", async () => {
  for (const [x, y] of [['browsers', 'browsers'], ['off', 'all'], ['all', 'browsers']] as const) {
    const [a, b] = await linkedPair(x, y);
    assert.is(extensionsOf(a, b), '', `${x} / ${y}`);
    assert.is(extensionsOf(b, a), '', `${x} / ${y}`);
    await stopAllNodes();
  }
  // Off by default: every mesh message is encrypted (wsmesh.v2) before the WebSocket sees it.
  assert.is(resolveOptions({ mdns: false }).compression, 'off');
  assert.throws(() => createNode({ mdns: false, compression: 'sometimes' as Compression }), /option compression must be one of off, browsers, all/);
});

test("a browser's offer (permessage-deflate; client_max_window_bits) is agreed for requests with Origin with 'browsers', not by default", async () => {
  const byDefault = await startNode({ name: 'default' });
  assert.is(await answerTo(byDefault, true), null);
  const browsers = await startNode({ name: 'browsers', compression: 'browsers' });
  assert.is(await answerTo(browsers, true), AGREED);
  assert.is(await answerTo(browsers, false), null);
  const all = await startNode({ name: 'all', compression: 'all' });
  assert.is(await answerTo(all, false), AGREED);
  const off = await startNode({ name: 'off', compression: 'off' });
  assert.is(await answerTo(off, true), null);
});

test.run();
