import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeAcceptKey, generateKey, isValidKey } from '../../src/handshake/accept-key.ts';

test('accept key of RFC 6455 section 1.3', () => {
  assert.is(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('accept key of a second widely published example (MDN, Wikipedia)', () => {
  assert.is(computeAcceptKey('x3JJHMbDL1EzLkh9GBhXDw=='), 'HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
});

test('generateKey: base64 of 16 random bytes, different every time', () => {
  const keys = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const key = generateKey();
    assert.ok(isValidKey(key), key);
    assert.is(Buffer.from(key, 'base64').length, 16);
    keys.add(key);
  }
  assert.is(keys.size, 100);
});

test('isValidKey accepts exactly base64 of 16 bytes', () => {
  assert.ok(isValidKey('dGhlIHNhbXBsZSBub25jZQ=='));
  assert.ok(isValidKey('AAAAAAAAAAAAAAAAAAAAAA=='));
  assert.ok(isValidKey('+/+/+/+/+/+/+/+/+/+/+w=='));
  for (const bad of [
    '',
    'dGhlIHNhbXBsZSBub25jZQ', // padding missing
    'dGhlIHNhbXBsZSBub25jZQ=', // one '=' only
    'dGhlIHNhbXBsZSBub25jZUE=', // 17 bytes
    'dGhlIHNhbXBsZSBub25j', // 15 bytes
    'dGhlIHNhbXBsZSBub25jZQ==AA',
    'dGhlIHNhbXBsZSBub25jZ-_==', // base64url alphabet
    ' dGhlIHNhbXBsZSBub25jZQ==',
    'dGhlIHNhbXBsZSBub25jZQ==\n',
  ]) {
    assert.not.ok(isValidKey(bad), JSON.stringify(bad));
  }
});

test.run();
