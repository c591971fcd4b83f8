// The messages a node sends to one link in the same tick travel together: one Noise transport message (one
// cipher set-up, one WebSocket frame) per batch (src/wire/secure-link.js sealAll/openAll, docs/security.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SecureTransport } from '../../src/wire/secure-link.js';
import { liveLink } from '../../src/mesh/node.ts';
import { connectedIds, startNode, stopAllNodes, waitFor } from './support.ts';

test.after.each(stopAllNodes);

test('50 direct messages sent in one tick arrive in order, most of them in batches; a send right before close still arrives', async () => {
  const sizes: number[] = [];
  const openAll = SecureTransport.prototype.openAll;
  SecureTransport.prototype.openAll = function (this: SecureTransport, message: Uint8Array) {
    const opened = openAll.call(this, message);
    sizes.push(opened.length);
    return opened;
  };
  try {
    const a = await startNode({ name: 'batch-a', secret: 'batching test secret' });
    const b = await startNode({ name: 'batch-b', secret: 'batching test secret', peers: [`ws://127.0.0.1:${a.port}/`] });
    await waitFor(() => connectedIds(a).includes(b.id) && connectedIds(b).includes(a.id), 'a and b linked');
    const received: string[] = [];
    a.on('message', (data) => received.push(data.toString()));
    sizes.length = 0;
    const texts = Array.from({ length: 50 }, (_, i) => `batched message ${i}`);
    await Promise.all(texts.map((text) => b.send(a.id, text)));
    assert.equal(received, texts);
    // The 50 messages of b's tick, and a's 50 acks, each in very few transport messages.
    assert.ok(Math.max(...sizes) >= 25, `largest batch ${Math.max(...sizes)} of ${sizes.join(',')}`);
    assert.ok(sizes.length <= 20, `${sizes.length} transport messages for 50 messages and 50 acks`);
    // The link closes in the tick of the send: the queued message is written before the close frame (not resent
    // later over a new link: it arrives before a sees the link close).
    a.on('peer:disconnected', () => received.push('(disconnected)'));
    b.send(a.id, 'the last words').catch(() => {});
    liveLink(b, a.id)!.close(1000, 'closing right after a send');
    await waitFor(() => received.includes('the last words') && received.includes('(disconnected)'), 'the message sent right before the close, and the close');
    assert.equal(received.slice(50, 52), ['the last words', '(disconnected)']);
  } finally {
    SecureTransport.prototype.openAll = openAll;
  }
});

test.run();
