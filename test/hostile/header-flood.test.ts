// Header floods: 10,000 header lines or a 1 MiB header block get 431 and a closed connection, with memory flat,
// from the standalone WebSocketServer and from the mesh node's port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RejectionInfo } from '../../src/mesh/node.ts';
import type { WsHandshakeError } from '../../src/protocol/errors.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { startNode } from '../mesh/support.ts';
import { ONE_MIB_HEADER, TEN_THOUSAND_HEADERS, sendHead, statusOf } from './attacks.ts';
import type { AttackOutcome } from './attacks.ts';
import { formatGrowth, peakGrowth } from './memory.ts';
import { startServer, stopAll } from './servers.ts';

/** Generous: the attacker's own buffers live in this process too. Not a measurement (see measure.ts). */
const MAX_GROWTH_MIB = 50;
/** Each flood is sent this many times at once, so that a per-connection leak would show. */
const PARALLEL = 20;

test.after.each(stopAll);

async function flood(port: number, request: Buffer): Promise<AttackOutcome[]> {
  const { result, growth } = await peakGrowth(() =>
    withTimeout(Promise.all(Array.from({ length: PARALLEL }, () => sendHead(port, request))), 30_000, 'the floods being answered'),
  );
  console.log(`  ${PARALLEL} x ${request.length} bytes of request head: ${formatGrowth(growth)}`);
  assert.ok(growth.rssMiB < MAX_GROWTH_MIB, `RSS grew by ${growth.rssMiB.toFixed(1)} MiB`);
  assert.ok(growth.heapMiB < MAX_GROWTH_MIB, `heap grew by ${growth.heapMiB.toFixed(1)} MiB`);
  return result;
}

for (const [what, request] of [['10,000 headers', TEN_THOUSAND_HEADERS], ['a 1 MiB header block', ONE_MIB_HEADER]] as const) {
  test(`standalone server: ${what} -> 431 and closed, memory flat`, async () => {
    const { wss, port } = await startServer();
    const rejected: number[] = [];
    wss.on('rejected', (error: WsHandshakeError) => rejected.push(error.status!));
    for (const outcome of await flood(port, request)) {
      assert.is(statusOf(outcome), 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.ok(outcome.received.toString('latin1').endsWith('HTTP head is larger than the limit of 16384 bytes\n'));
    }
    assert.equal(rejected, Array(PARALLEL).fill(431));
    assert.is(wss.clients.size, 0);
  });

  test(`mesh node: ${what} -> 431 and closed, memory flat, reported`, async () => {
    const node = await startNode({ name: 'target', maxPendingPerAddress: PARALLEL });
    const rejected: RejectionInfo[] = [];
    node.on('peer:rejected', (info) => rejected.push(info));
    for (const outcome of await flood(node.port, request)) {
      assert.is(statusOf(outcome), 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.ok(outcome.received.toString('latin1').endsWith('HTTP request head larger than 16384 bytes\n'));
    }
    assert.equal(rejected.map((info) => [info.code, info.remoteAddress]), Array(PARALLEL).fill([431, '127.0.0.1']));
    assert.is(node.connectionCount, 0);
  });
}

test.run();
