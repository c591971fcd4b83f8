// The node crypto provider makes key pairs without generateKeyPairSync: on Node 20 exporting a generated key
// now and then deadlocks the whole process (ExportJWK holds the key's lock while it allocates; the garbage
// collection that allocation may start runs the finished KeyGenJob's destructor, which waits for that lock).
// A node makes a key pair per handshake, so a mesh forming in one process froze with no CPU use (seen in CI:
// test/scale/mesh-30 printed nothing for 180 s; gdb: main thread in ~KeyGenJob under ExportJWKEdKey).
// With generateKeyPairSync this child hung in 6 runs of 6 (15,000 pairs of each curve, 1 MiB semi-space).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { killAllChildren, spawnManaged } from '../helpers/processes.ts';
import { withTimeout } from '../helpers/timeout.ts';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import type { KeyPair } from '../../src/wire/provider.js';

const CHILD = fileURLToPath(new URL('./fixtures/keygen-loop.ts', import.meta.url));

test.after(() => killAllChildren());

test('15,000 X25519 and Ed25519 key pairs under frequent garbage collection: the process never hangs', async () => {
  const child = spawnManaged(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', CHILD, '../../../src/mesh/node-crypto.ts', '15000']);
  // A guard against the hang, not a speed assertion: the loop takes 2-3 s on the bench machine.
  const status = await withTimeout(child.exited, 60_000, 'the key generation child hung (the Node 20 KeyGenJob deadlock)').catch(async (error: Error) => {
    await child.kill(0);
    throw error;
  });
  assert.equal({ status, stdout: child.stdout(), stderr: child.stderr() }, { status: { code: 0, signal: null }, stdout: 'done\n', stderr: '' });
});

test('key pairs from the CSPRNG are valid: X25519 agreement and Ed25519 signatures work across fresh pairs', () => {
  const a = nodeCrypto.x25519Generate() as KeyPair;
  const b = nodeCrypto.x25519Generate() as KeyPair;
  assert.equal(a.privateKey.length, 32);
  assert.equal(a.publicKey.length, 32);
  assert.not.equal(Buffer.from(a.privateKey).toString('hex'), Buffer.from(b.privateKey).toString('hex'));
  const ab = nodeCrypto.x25519(a.privateKey, b.publicKey) as Uint8Array;
  const ba = nodeCrypto.x25519(b.privateKey, a.publicKey) as Uint8Array;
  assert.equal(Buffer.from(ab).toString('hex'), Buffer.from(ba).toString('hex'));
  // Re-importing the raw private key gives the same public key (what a key file load does).
  assert.equal(Buffer.from((nodeCrypto.x25519Generate(a.privateKey) as KeyPair).publicKey).toString('hex'), Buffer.from(a.publicKey).toString('hex'));
  const signer = nodeCrypto.ed25519Generate() as KeyPair;
  const message = new TextEncoder().encode('wsmesh');
  const signature = nodeCrypto.ed25519Sign(signer.privateKey, message) as Uint8Array;
  assert.ok(nodeCrypto.ed25519Verify(signer.publicKey, message, signature));
  assert.equal(Buffer.from((nodeCrypto.ed25519Generate(signer.privateKey) as KeyPair).publicKey).toString('hex'), Buffer.from(signer.publicKey).toString('hex'));
});

test('RFC 7748 section 6.1 and RFC 8032 test 1: the public keys of known private keys', () => {
  const alice = nodeCrypto.x25519Generate(Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex')) as KeyPair;
  assert.equal(Buffer.from(alice.publicKey).toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  const ed = nodeCrypto.ed25519Generate(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')) as KeyPair;
  assert.equal(Buffer.from(ed.publicKey).toString('hex'), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
});

test.run();
