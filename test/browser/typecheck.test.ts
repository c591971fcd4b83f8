// The page and the browser client are plain JS with JSDoc types, checked against the DOM by their own
// tsconfig (the root one is for Node and does not read JS). This keeps that check in the suite, and checks
// that the declarations `npm run build` generates for wsmesh/browser serve a TypeScript user.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../', import.meta.url));

function tsc(args: string[]): { output: string; status: number | null } {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', ...args], { cwd: root, encoding: 'utf8' });
  assert.is(result.error, undefined);
  return { output: `${result.stdout}${result.stderr}`.trim(), status: result.status };
}

test('tsc -p src/browser: the browser client and the page type-check', () => {
  assert.equal(tsc(['-p', 'src/browser/tsconfig.json']), { output: '', status: 0 });
});

test('the generated declarations of wsmesh/browser type a TypeScript user of the API (and refuse misuse)', () => {
  const out = mkdtempSync(join(tmpdir(), 'wsmesh-types-'));
  try {
    assert.equal(tsc(['-p', 'src/browser/tsconfig.build.json', '--outDir', out]), { output: '', status: 0 });
    const index = readFileSync(join(out, 'browser', 'index.d.ts'), 'utf8');
    for (const name of ['connectMesh', 'MeshClientError', 'MeshCloseCode', 'loadIdentityKey', 'MeshClient', 'ConnectOptions', 'MeshPeer', 'CryptoInfo']) {
      assert.match(index, name, `index.d.ts exports ${name}`);
    }
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    writeFileSync(join(out, 'user.ts'), `
      import { connectMesh, loadIdentityKey, MeshCloseCode, type MeshClient, type MeshPeer } from './browser/index.js';
      const identity = await loadIdentityKey('slot');
      const client: MeshClient = connectMesh('ws://127.0.0.1:7447/', { name: 'n', identity, crypto: 'noble' });
      client.on('peers', (peers: MeshPeer[]) => peers[0]?.rtt?.toFixed(1));
      client.on('message', (data, info) => (typeof data === 'string' ? data : data.byteLength) && info.from.length);
      const code: number = MeshCloseCode.AuthFailed;
      const stateName: string = client.status.state + (client.status.crypto?.provider ?? '');
      // @ts-expect-error a name is required
      connectMesh('ws://x/', { identity });
      // @ts-expect-error no such event
      client.on('nope', () => {});
      export { code, stateName };
    `);
    const user = tsc(['--ignoreConfig', '--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--lib', 'ES2022,DOM', '--types', '', '--skipLibCheck', join(out, 'user.ts')]);
    assert.equal(user, { output: '', status: 0 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
