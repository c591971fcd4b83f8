import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Utf8StreamValidator } from '../../src/protocol/utf8.ts';

/** Feeds the pieces in order; returns the index of the piece that failed, 'end' if only end() failed, or 'ok'. */
function validate(pieces: number[][]): number | 'end' | 'ok' {
  const validator = new Utf8StreamValidator();
  for (let i = 0; i < pieces.length; i++) if (!validator.push(Uint8Array.from(pieces[i]!))) return i;
  return validator.end() ? 'ok' : 'end';
}

const VALID = Buffer.from('κόσμε 𝄞 €uro ascii', 'utf8');

test('valid text passes at every split point', () => {
  for (let split = 0; split <= VALID.length; split++) {
    assert.is(validate([[...VALID.subarray(0, split)], [...VALID.subarray(split)]]), 'ok', `split ${split}`);
  }
  assert.is(validate([...VALID].map((b) => [b])), 'ok');
});

test('fails on the piece where the sequence becomes impossible (fail fast)', () => {
  const kosme = [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5];
  assert.is(validate([kosme, [0xf4, 0x90, 0x80, 0x80], [0x65, 0x64]]), 1, 'code point above U+10FFFF');
  assert.is(validate([kosme, [0xf4], [0x90], [0x80]]), 2, 'fails when the second byte arrives');
  assert.is(validate([[0xed], [0xa0, 0x80]]), 1, 'surrogate U+D800');
  assert.is(validate([[0xe0, 0x80]]), 0, 'overlong 3-byte form');
  assert.is(validate([[0xc0, 0xaf]]), 0, 'overlong 2-byte form');
  assert.is(validate([[0xf8]]), 0, 'invalid lead byte');
  assert.is(validate([[0x80]]), 0, 'lone continuation byte');
  assert.is(validate([[0x41], [0xe2, 0x82], [0x41]]), 2, 'truncated sequence followed by ASCII');
});

test('a message that ends inside a sequence fails at the end', () => {
  assert.is(validate([[0x41, 0xe2, 0x82]]), 'end');
  assert.is(validate([[0xf0, 0x9d], [0x84]]), 'end');
});

test('the validator resets after end()', () => {
  const validator = new Utf8StreamValidator();
  assert.ok(validator.push(Uint8Array.from([0xe2])));
  assert.not.ok(validator.end());
  assert.ok(validator.push(Buffer.from('ok')));
  assert.ok(validator.end());
});

test.run();
