import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshTag } from '../../src/discovery/discovery.ts';
import { buildOwnService, instanceLabel } from '../../src/discovery/mdns/own-service.ts';
import { truncateUtf8 } from '../../src/protocol/utf8.ts';
import { QuerySchedule } from '../../src/discovery/mdns/query-schedule.ts';
import { decodeTxt } from '../../src/discovery/mdns/txt.ts';

/** The gaps a started schedule goes through, advanced by queries seen from other hosts. */
function gaps(schedule: QuerySchedule, count: number): number[] {
  schedule.start();
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    result.push(schedule.currentInterval);
    schedule.treatAsSent();
  }
  schedule.stop();
  return result;
}

test('query backoff: 1 s, doubling, capped at the maximum (default 60 s)', () => {
  assert.equal(gaps(new QuerySchedule(() => {}), 9), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
});

test('query backoff: a custom cap, and never a first gap under 1 s (RFC 6762 §5.2)', () => {
  assert.equal(gaps(new QuerySchedule(() => {}, { maxInterval: 5000, firstInterval: 10 }), 5), [1000, 2000, 4000, 5000, 5000]);
});

test('query backoff: a foreign query before start() changes nothing', () => {
  const schedule = new QuerySchedule(() => {});
  schedule.treatAsSent();
  assert.is(schedule.currentInterval, 1000);
});

test('naming: instance label = name + short id, dots replaced, at most 63 bytes', () => {
  assert.is(instanceLabel({ id: '0123456789abcdef', name: 'alice' }), 'alice (01234567)');
  assert.is(instanceLabel({ id: 'ab-cd', name: 'my.host.example' }), 'my-host-example (abcd)');
  const long = instanceLabel({ id: 'ffffffffffff', name: 'é'.repeat(60) });
  assert.ok(Buffer.byteLength(long) <= 63);
  assert.ok(long.endsWith(' (ffffffff)'));
  assert.is(truncateUtf8('aé€', 4), 'aé');
});

test('naming: TXT carries id, v, mesh tag, path and name; SRV target is unique per node', () => {
  const own = buildOwnService({ id: 'abc123', name: 'bob', mesh: 'home', version: 3, port: 9000, path: '/ws' }, ['10.1.1.1']);
  assert.is(own.instance, 'bob (abc123)._wsmesh._tcp.local');
  assert.is(own.host, 'wsmesh-abc123.local');
  assert.equal(Object.fromEntries(decodeTxt(own.txt)), { id: 'abc123', v: '3', mesh: meshTag('home'), path: '/ws', name: 'bob' });
});

test.run();
