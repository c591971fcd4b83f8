// A member (it has the secret) that issues its own links records as fast as it can: each new record is valid
// (signed by its origin, a higher seq) and every node would pass it on over the broadcast tree and recompute its
// routes, a routing storm made on purpose. A node issues at most one record per LINKS_MIN_INTERVAL_MS (500 ms);
// the others accept a burst of an origin's records (a chain in a digest answer) and then about four a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerLink } from '../../src/mesh/link.ts';
import { liveLink, type MeshNode } from '../../src/mesh/node.ts';
import { RECORD_BURST, RECORD_REFILL_MS } from '../../src/mesh/record-sync.ts';
import { stopAllNodes } from '../mesh/support.ts';
import { handled, meshWithMember } from './member.ts';

const original = PeerLink.prototype.send;
/** Links records of the attacker's origin that a sent, per receiver id. */
let passedOn = new Map<string, number>();
let attackerId = '';
let a: MeshNode | undefined;

test.before(() => {
  PeerLink.prototype.send = function (this: PeerLink, frame: string | Buffer): number {
    if (typeof frame === 'string' && frame.startsWith('{"t":"links"') && a !== undefined) {
      const record = JSON.parse(frame) as { origin: string };
      const remote = this.remote;
      if (record.origin === attackerId && remote !== null && liveLink(a, remote.id) === this) passedOn.set(remote.id, (passedOn.get(remote.id) ?? 0) + 1);
    }
    return original.call(this, frame);
  };
});
test.after(async () => {
  PeerLink.prototype.send = original;
  await stopAllNodes();
});

test('40 valid records of one origin at once: a passes on the first RECORD_BURST, then one per RECORD_REFILL_MS', async () => {
  const mesh = await meshWithMember();
  const { b, c, m } = mesh;
  a = mesh.a;
  attackerId = m.id;
  const record = (seq: number) =>
    m.sign({ t: 'links', origin: m.id, boot: 'flood', seq, name: 'm', kind: 'node', links: [{ id: a!.id, name: 'a', kind: 'node' }] });
  const frames = Array.from({ length: 40 }, (_, i) => record(1_000_000 + i));
  const started = Date.now();
  for (const frame of frames) m.sendJson(frame);
  await handled(m, c);
  const refilled = Math.floor((Date.now() - started) / RECORD_REFILL_MS);
  // b is not listed by m's records: a (the only node they list) passes each accepted one on to b.
  const toB = passedOn.get(b.id) ?? 0;
  assert.ok(toB >= RECORD_BURST && toB <= RECORD_BURST + refilled, `${toB} of m's 40 records passed on to b (burst ${RECORD_BURST}, ${refilled} refilled)`);
  m.end();
});

test.run();
