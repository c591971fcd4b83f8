// Issue 10 item 12: short secrets, secret and key file permissions, offline guessing. Failed on the v1 code.
import { scryptSync, createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNode } from '../../src/node.ts';
import { MeshKeyFileError, WsmeshError } from '../../src/index.ts';
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { toHex } from '../../src/wire/bytes.js';
import { derivePsk } from '../../src/wire/identity.js';
import { spawnCli, startNode, stopAllNodes } from '../mesh/support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'wsmesh-secrets-'));
test.after.each(stopAllNodes);
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a secret shorter than 12 characters is refused with a clear error', () => {
  for (const secret of ['x', 'correct', 'elevenchars']) {
    assert.throws(() => createNode({ secret, mdns: false }), /secret must have at least 12 characters/);
  }
  createNode({ secret: 'twelve chars', mdns: false, ephemeralIdentity: true });
});

test('the PSK is scrypt(secret, SHA-256("wsmesh-psk-salt:" + mesh), N=2^15, r=8, p=1): one guess costs a full scrypt', async () => {
  const secret = 'correct horse battery';
  const salt = createHash('sha256').update('wsmesh-psk-salt:home').digest();
  const expected = scryptSync(secret, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  assert.is(toHex(await derivePsk(nodeCrypto, 'home', secret)), expected.toString('hex'));
  // Open mesh: a public value from the mesh name.
  assert.is(toHex(await derivePsk(nodeCrypto, 'home', undefined)), createHash('sha256').update('wsmesh-open-mesh-psk:home').digest('hex'));
});

test('a group/world-readable secret file is warned about; a short one refused; the CLI says when the mesh is open', async () => {
  const loose = path.join(dir, 'loose-secret');
  writeFileSync(loose, 'a long enough secret\n');
  chmodSync(loose, 0o644);
  const cli = spawnCli(['--secret-file', loose]);
  await cli.waitForLine(/listening/i, 20_000).catch(() => {});
  await cli.kill();
  assert.match(cli.stderr() + cli.stdout(), /secret file .*loose-secret.* is readable by (group|others).*chmod 600/);
  const short = path.join(dir, 'short-secret');
  writeFileSync(short, 'short\n', { mode: 0o600 });
  const refused = spawnCli(['--secret-file', short]);
  const status = await refused.exited;
  assert.is(status.code, 2);
  assert.match(refused.stderr(), /at least 12 characters/);
  const open = spawnCli([]);
  await open.waitForLine(/open mesh/i, 20_000);
  await open.kill();
});

test('the identity key file: created 0600 on first start, the same id next time; a group-readable one is refused', async () => {
  const keyFile = path.join(dir, 'sub', 'identity.key');
  const first = await startNode({ keyFile, ephemeralIdentity: false });
  const id = first.id;
  await stopAllNodes();
  assert.is(statSync(keyFile).mode & 0o777, 0o600);
  const second = await startNode({ keyFile, ephemeralIdentity: false });
  assert.is(second.id, id);
  await stopAllNodes();
  assert.not.match(readFileSync(keyFile, 'utf8'), id);
  chmodSync(keyFile, 0o644);
  assert.throws(() => createNode({ keyFile, mdns: false }), /key file .* is readable by (group|others)/);
  assert.throws(() => createNode({ keyFile, mdns: false }), (error: Error) => error instanceof MeshKeyFileError && error instanceof WsmeshError && error.code === 'key-file');
});

test('a key file that is not a PEM key: refused with a message a user can act on, not OpenSSL\'s decoder error', () => {
  const keyFile = path.join(dir, 'garbage.key');
  writeFileSync(keyFile, 'garbage\n', { mode: 0o600 });
  assert.throws(
    () => createNode({ keyFile, mdns: false }),
    (error: Error) => error instanceof MeshKeyFileError && error.code === 'key-file' && error.message === `key file ${keyFile} does not hold a private key (expected an Ed25519 key in PKCS#8 PEM, as \`openssl genpkey -algorithm ed25519\` writes; move the file away to get a new identity)`,
  );
});

test('the CLI with a group-readable key file: exit 2 and the one line that says what to do (no usage hint)', async () => {
  const keyFile = path.join(dir, 'cli-loose.key');
  writeFileSync(keyFile, '', { mode: 0o640 });
  chmodSync(keyFile, 0o640);
  const child = spawnCli(['--key-file', keyFile]);
  assert.is((await child.exited).code, 2);
  assert.is(child.stderr(), `wsmesh: key file ${keyFile} is readable by group (mode 0640): chmod 600 ${keyFile}\n`);
});

test.run();
