import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainedParser } from '../../src/discovery/mdns/contained-parser.ts';
import { assembleMessage } from '../../src/discovery/mdns/message.ts';
import { guardPacket, OPAQUE_TYPE, skipName } from '../../src/discovery/mdns/packet-guard.ts';
import { HOSTILE_PACKETS, header, name, resource, txtData } from './support/hostile-packets.ts';

const parser = new ContainedParser({ parseTimeout: 1000 });

for (const packet of HOSTILE_PACKETS) {
  test(`guard: ${packet.label}`, async () => {
    const verdict = guardPacket(packet.bytes);
    if (packet.guardReason !== null) {
      assert.equal(verdict, { ok: false, reason: packet.guardReason });
      return;
    }
    assert.ok(verdict.ok, `expected the guard to let "${packet.label}" through`);
    if (!verdict.ok) return;
    // What the guard lets through, mdns-js's parser reads without error and in agreement with the guard.
    const outcome = await parser.parse(verdict.parserCopy);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
    if (!outcome.ok) return;
    const assembled = assembleMessage(packet.bytes, verdict, outcome.message);
    assert.ok(assembled.ok, assembled.ok ? '' : assembled.reason);
  });
}

test('guard: no hostile packet ever restarted the parser (the guard alone kept it safe)', () => {
  assert.is(parser.stats.restarts, 0);
  assert.is(parser.stats.failed, 0);
});

test('skipName: a compressed name ends after its pointer; pointers must go strictly backwards', () => {
  const message = Buffer.concat([header(0, [0, 0, 0, 0]), name('b.local'), Buffer.from([1, 0x61, 0xc0, 12])]);
  assert.is(skipName(message, 12), 21);
  assert.is(skipName(message, 21), 25);
  const loop = Buffer.concat([header(0, [0, 0, 0, 0]), Buffer.from([1, 0x61, 0xc0, 12])]);
  assert.throws(() => skipName(loop, 12), /does not point backwards/);
});

test('guard: TXT records reach the parser as an opaque type (bug 3), their real type stays in the layout', () => {
  const bytes = Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('x.local'), 16, 1, 120, txtData('ver=1.2.3'))]);
  const verdict = guardPacket(bytes);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  assert.is(verdict.records[0]!.type, 16);
  assert.is(verdict.records[0]!.parsedByDnsJs, false);
  assert.is(verdict.parserCopy.readUInt16BE(12 + 9), OPAQUE_TYPE);
  assert.is(bytes.readUInt16BE(12 + 9), 16, 'the received message itself is not modified');
});

test('guard + parser: a TXT value with dots arrives whole (bug 3)', async () => {
  const bytes = Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('x.local'), 16, 1, 120, txtData('ver=1.2.3', 'a=b'))]);
  const verdict = guardPacket(bytes);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  const outcome = await parser.parse(verdict.parserCopy);
  assert.ok(outcome.ok);
  if (!outcome.ok) return;
  const assembled = assembleMessage(bytes, verdict, outcome.message);
  assert.ok(assembled.ok);
  if (!assembled.ok) return;
  assert.equal([...assembled.message.records[0]!.txt!], [['ver', '1.2.3'], ['a', 'b']]);
});

test('guard: PTR, SRV and A records with well-formed data go to dns-js as they are', () => {
  const srvData = Buffer.concat([Buffer.from([0, 0, 0, 0, 0x1f, 0x90]), name('h.local')]);
  const bytes = Buffer.concat([
    header(0x8400, [0, 3, 0, 0]),
    resource(name('_wsmesh._tcp.local'), 12, 1, 4500, name('x._wsmesh._tcp.local')),
    resource(name('x._wsmesh._tcp.local'), 33, 0x8001, 120, srvData),
    resource(name('h.local'), 1, 0x8001, 120, Buffer.from([10, 0, 0, 1])),
  ]);
  const verdict = guardPacket(bytes);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  assert.equal(verdict.records.map((r) => [r.type, r.parsedByDnsJs]), [[12, true], [33, true], [1, true]]);
  assert.equal(verdict.parserCopy, bytes);
});

test('guard: a PTR whose name does not fill its data is opaque, not misread', () => {
  const rdata = Buffer.concat([name('x.local'), Buffer.from([0xde, 0xad])]);
  const bytes = Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('_wsmesh._tcp.local'), 12, 1, 120, rdata)]);
  const verdict = guardPacket(bytes);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  assert.is(verdict.records[0]!.parsedByDnsJs, false);
});

test('assemble: a parser result that disagrees with the guard is refused', () => {
  const bytes = Buffer.concat([header(0x8400, [0, 1, 0, 0]), resource(name('h.local'), 1, 1, 120, Buffer.from([10, 0, 0, 1]))]);
  const verdict = guardPacket(bytes);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  const wrong = { question: [], answer: [{ name: 'h.local', type: 1, class: 1, ttl: 999, address: '10.0.0.1' }], authority: [], additional: [] };
  assert.equal(assembleMessage(bytes, verdict, wrong), { ok: false, reason: 'parser and guard disagree on a record' });
  const short = { question: [], answer: [], authority: [], additional: [] };
  assert.equal(assembleMessage(bytes, verdict, short), { ok: false, reason: 'parser and guard disagree on the record count' });
});

test.after(() => parser.close());
test.run();
