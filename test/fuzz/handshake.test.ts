import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRequest, checkResponse, fuzzHandshake } from './fuzz-handshake.ts';

const REGRESSIONS = new URL('./regressions-handshake/', import.meta.url);
/** A hang guard, not a speed assertion: a single handshake case taking this long is stuck. */
const HANG_MS = 5000;

test('a brief fuzz run of the opening handshake (requests and responses) finds nothing', () => {
  const report = fuzzHandshake(1, 2000);
  assert.is(report.cases, 4000);
  assert.equal(report.failures.map((f) => `${f.side} seed ${f.seed}: ${f.error}`), []);
  assert.ok(report.slowestMs < HANG_MS, `a case ran for ${report.slowestMs} ms`);
});

test('every handshake input that ever broke the parsers stays fixed (byte by byte and whole)', () => {
  for (const name of readdirSync(REGRESSIONS).filter((file) => file.endsWith('.hex'))) {
    const input = Buffer.from(readFileSync(new URL(name, REGRESSIONS), 'utf8').replace(/\s+/g, ''), 'hex');
    const bytes = [...input].map((byte) => Buffer.from([byte]));
    if (name.startsWith('request-')) {
      for (const pieces of [[input], bytes]) checkRequest(pieces, { perMessageDeflate: true, selectProtocol: (offered) => offered[0] });
    } else {
      for (const pieces of [[input], bytes]) checkResponse(pieces, 'dGhlIHNhbXBsZSBub25jZQ==', ['chat']);
    }
  }
});

test.run();
