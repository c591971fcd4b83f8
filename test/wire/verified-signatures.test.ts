// Signatures found valid are remembered with their key and message (many nodes in one process check the same
// records): a remembered signature is accepted only for exactly the key and message it was checked with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VerifiedSignatures, nodeCrypto } from '../../src/mesh/node-crypto.ts';
import type { KeyPair } from '../../src/wire/provider.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const signer = nodeCrypto.ed25519Generate() as KeyPair;
const other = nodeCrypto.ed25519Generate() as KeyPair;

test('a valid signature verifies again; the same signature with another message, key or a flipped bit does not', () => {
  const message = utf8('{"t":"links","origin":"a","seq":1}');
  const signature = nodeCrypto.ed25519Sign(signer.privateKey, message);
  assert.ok(nodeCrypto.ed25519Verify(signer.publicKey, message, signature));
  assert.ok(nodeCrypto.ed25519Verify(signer.publicKey, message, signature), 'checked twice (the second from memory)');
  assert.not.ok(nodeCrypto.ed25519Verify(signer.publicKey, utf8('{"t":"links","origin":"a","seq":2}'), signature), 'another message');
  assert.not.ok(nodeCrypto.ed25519Verify(other.publicKey, message, signature), 'another key');
  const longer = new Uint8Array(message.length + 1);
  longer.set(message);
  assert.not.ok(nodeCrypto.ed25519Verify(signer.publicKey, longer, signature), 'the message with one byte more');
  const flipped = signature.slice();
  flipped[63] ^= 1;
  assert.not.ok(nodeCrypto.ed25519Verify(signer.publicKey, message, flipped), 'a flipped bit of the signature');
  // A view into a larger buffer with the same bytes is the same message.
  const padded = new Uint8Array(message.length + 8);
  padded.set(message, 4);
  assert.ok(nodeCrypto.ed25519Verify(signer.publicKey, padded.subarray(4, 4 + message.length), signature));
});

test('the memory keeps only what was checked, copies it, and drops the oldest beyond its limits', () => {
  const memory = new VerifiedSignatures(2, 1024, 100);
  const message = utf8('one');
  const signature = nodeCrypto.ed25519Sign(signer.privateKey, message);
  assert.not.ok(memory.has(signer.publicKey, message, signature));
  memory.add(signer.publicKey, message, signature);
  assert.ok(memory.has(signer.publicKey, message, signature));
  message[0] = 0x4f; // the caller's buffer is reused: the copy kept is not
  assert.not.ok(memory.has(signer.publicKey, message, signature));
  assert.ok(memory.has(signer.publicKey, utf8('one'), signature));
  const two = nodeCrypto.ed25519Sign(signer.privateKey, utf8('two'));
  const three = nodeCrypto.ed25519Sign(signer.privateKey, utf8('three'));
  memory.add(signer.publicKey, utf8('two'), two);
  memory.add(signer.publicKey, utf8('three'), three);
  assert.equal([memory.has(signer.publicKey, utf8('one'), signature), memory.has(signer.publicKey, utf8('two'), two), memory.has(signer.publicKey, utf8('three'), three)], [false, true, true]);
  const long = new Uint8Array(101);
  const longSignature = nodeCrypto.ed25519Sign(signer.privateKey, long);
  memory.add(signer.publicKey, long, longSignature);
  assert.not.ok(memory.has(signer.publicKey, long, longSignature), 'a message over maxMessage is not kept');
});

test.run();
