import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContainedParser } from '../../src/discovery/mdns/contained-parser.ts';
import { assembleMessage } from '../../src/discovery/mdns/message.ts';
import { guardPacket } from '../../src/discovery/mdns/packet-guard.ts';
import { encodeMessage, type OutgoingRecord } from '../../src/discovery/mdns/packet-writer.ts';
import { announcement } from '../../src/discovery/mdns/responder.ts';
import { decodeTxt, encodeTxt } from '../../src/discovery/mdns/txt.ts';

const parser = new ContainedParser();

async function readBack(bytes: Buffer) {
  const verdict = guardPacket(bytes);
  if (!verdict.ok) throw new Error(`guard rejected our own message: ${verdict.reason}`);
  const outcome = await parser.parse(verdict.parserCopy);
  if (!outcome.ok) throw new Error(outcome.reason);
  const assembled = assembleMessage(bytes, verdict, outcome.message);
  if (!assembled.ok) throw new Error(assembled.reason);
  return assembled.message;
}

test('txt: values keep their dots (bug 3: dns-js splits ver=1.2.3 into three strings)', () => {
  const bytes = encodeTxt({ ver: '1.2.3' });
  assert.equal([...bytes], [9, ...Buffer.from('ver=1.2.3')]);
  assert.equal([...decodeTxt(bytes)], [['ver', '1.2.3']]);
});

test('txt: an empty record is one empty string (RFC 6763 §6.1) and decodes to nothing', () => {
  assert.equal([...encodeTxt({})], [0]);
  assert.equal([...decodeTxt(Buffer.from([0]))], []);
  assert.equal([...decodeTxt(Buffer.alloc(0))], []);
});

test('txt: 200-byte strings, empty strings between entries, boolean keys, first key wins, case-insensitive keys', () => {
  const long = 'k=' + 'v'.repeat(198);
  const data = Buffer.concat([
    Buffer.from([long.length]), Buffer.from(long),
    Buffer.from([0]),
    Buffer.from([4]), Buffer.from('flag'),
    Buffer.from([3]), Buffer.from('K=x'),
    Buffer.from([5]), Buffer.from('b=1=2'),
  ]);
  assert.equal([...decodeTxt(data)], [['k', 'v'.repeat(198)], ['flag', true], ['b', '1=2']]);
});

test('txt: a string running past the end stops decoding without throwing', () => {
  assert.equal([...decodeTxt(Buffer.from([3, 0x61, 0x3d, 0x31, 9, 0x62]))], [['a', '1']]);
});

test('txt: entries over 255 bytes and bad keys are refused', () => {
  assert.throws(() => encodeTxt({ k: 'x'.repeat(254) }), /more than 255/);
  assert.throws(() => encodeTxt({ 'a=b': 'c' }), /contains "="/);
});

test('writer: exact bytes of a PTR query', () => {
  const bytes = encodeMessage({ response: false, questions: [{ name: '_wsmesh._tcp.local', type: 12 }] });
  assert.is(
    bytes.toString('hex'),
    '000000000001000000000000' + '075f77736d657368045f746370056c6f63616c00' + '000c0001',
  );
});

test('writer: cache-flush only on unique records, never on the shared PTR (bug 6)', async () => {
  const own = { instance: 'a (12345678)._wsmesh._tcp.local', host: 'wsmesh-1234.local', port: 8080, txt: encodeTxt({ id: '1' }), addresses: ['10.0.0.1'] };
  const message = await readBack(encodeMessage(announcement(own)));
  assert.equal(
    message.records.map((r) => [r.type, r.cacheFlush, r.ttl]),
    [[12, false, 4500], [33, true, 120], [16, true, 4500], [1, true, 120]],
  );
  assert.is(message.records[0]!.ptr, own.instance);
  assert.equal(message.records[1]!.srv, { port: 8080, target: own.host });
});

test('writer: messages over 512 bytes with compression targets past byte 255 (bug 3: dns-js throws)', async () => {
  const records: OutgoingRecord[] = [];
  for (let i = 0; i < 20; i++) records.push({ name: `host-${i}-abcdefghijklmnop.example.local`, cacheFlush: true, ttl: 120, data: { kind: 'a', address: `10.0.0.${i}` } });
  records.push({ name: 'late.zzz.local', cacheFlush: true, ttl: 120, data: { kind: 'a', address: '10.0.1.1' } });
  records.push({ name: 'again.zzz.local', cacheFlush: true, ttl: 120, data: { kind: 'a', address: '10.0.1.2' } });
  const bytes = encodeMessage({ response: true, answers: records });
  assert.ok(bytes.length > 512);
  const message = await readBack(bytes);
  assert.equal(message.records.map((r) => r.name), records.map((r) => r.name));
  assert.equal(message.records.map((r) => r.address), records.map((r) => (r.data as { address: string }).address));
});

test('writer: refuses labels over 63 bytes and non-IPv4 addresses', () => {
  assert.throws(() => encodeMessage({ response: false, questions: [{ name: `${'x'.repeat(64)}.local`, type: 1 }] }), /longer than 63/);
  assert.throws(() => encodeMessage({ response: true, answers: [{ name: 'a.local', cacheFlush: true, ttl: 1, data: { kind: 'a', address: '::1' } }] }), /not an IPv4/);
});

test.after(() => parser.close());
test.run();
