// The wire module's .d.ts are generated from its JSDoc (never written by hand): the declaration build of
// src/wire must succeed and declare the API the browser and the node use.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('tsc emits declarations for src/wire from its JSDoc', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'wsmesh-wire-types-'));
  try {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'src/wire', '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--outDir', out], { cwd: ROOT, encoding: 'utf8' });
    assert.is(result.status, 0, result.stdout + result.stderr);
    const secureLink = readFileSync(path.join(out, 'secure-link.d.ts'), 'utf8');
    assert.match(secureLink, 'export declare class SecureHandshake');
    assert.match(secureLink, 'receive(message: Uint8Array): Promise<Uint8Array[]>;');
    const provider = readFileSync(path.join(out, 'provider.d.ts'), 'utf8');
    assert.match(provider, 'export type CryptoProvider = {');
    assert.match(provider, 'aeadDecrypt: (key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array) => Uint8Array | null;');
    assert.match(readFileSync(path.join(out, 'signing.d.ts'), 'utf8'), 'export declare function signatureProblem(');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
