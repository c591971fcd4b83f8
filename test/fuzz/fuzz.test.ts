import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Role } from '../../src/protocol/protocol.ts';
import { checkProtocolStream, fuzzProtocol } from './fuzz-protocol.ts';

const REGRESSIONS = new URL('./regressions/', import.meta.url);

test('a brief fuzz run of the codec in both roles finds nothing', () => {
  const report = fuzzProtocol(1, 1000);
  assert.is(report.cases, 2000);
  assert.equal(report.failures.map((f) => `${f.role} seed ${f.seed}: ${f.error}`), []);
});

test('every input that ever broke the codec stays fixed', () => {
  const files = readdirSync(REGRESSIONS).filter((name) => name.endsWith('.hex'));
  for (const name of files) {
    const role = name.split('-')[0] as Role;
    const input = Buffer.from(readFileSync(new URL(name, REGRESSIONS), 'utf8').replace(/\s+/g, ''), 'hex');
    checkProtocolStream(role, [input]);
    checkProtocolStream(role, [...input].map((byte) => Buffer.from([byte])));
  }
});

test.run();
