import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../mesh/support.ts';

/**
 * The package as a user gets it: `npm pack` (which builds dist/), installed into a fresh app, used from plain
 * JavaScript, from strict TypeScript, and as the `wsmesh` command. The tarball's dependencies (mdns-js,
 * @noble/*) come from the npm cache where possible (--prefer-offline).
 */
const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'wsmesh-pack-'));
const app = path.join(work, 'app');
const NPM_QUIET = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

test.after(() => rmSync(work, { recursive: true, force: true }));

let tarball = '';

test('npm pack: LICENSE, no TypeScript sources or tsconfig besides the declarations, .js specifiers in .d.ts', async () => {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: NPM_QUIET, maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, packed.filename);
  const files = packed.files.map((file) => file.path);
  assert.ok(files.includes('LICENSE'), 'LICENSE shipped');
  assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('dist/cli/main.js'));
  const stray = files.filter((file) => (file.endsWith('.ts') && !file.endsWith('.d.ts')) || /(^|\/)tsconfig[^/]*\.json$/.test(file) || file.startsWith('test/'));
  assert.equal(stray, [], 'no sources, tests or tsconfig in the tarball');
});

test('npm install <tarball> into a fresh app prints no warnings', async () => {
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const { stderr } = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env: NPM_QUIET });
  assert.is(stderr.trim(), '', 'npm install printed nothing on stderr');
  const declarations = readdirSync(path.join(app, 'node_modules/wsmesh/dist'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.d.ts'));
  assert.ok(declarations.length > 10);
});

test('a plain-JavaScript consumer: two nodes, ready(), a broadcast arrives, a bad option is a named error', async () => {
  writeFileSync(
    path.join(app, 'consumer.mjs'),
    `import { createNode, WsmeshError } from 'wsmesh';
try {
  createNode({ mdsn: false });
  throw new Error('unknown option accepted');
} catch (error) {
  if (!(error instanceof WsmeshError) || error.code !== 'invalid-option') throw error;
}
const a = createNode({ host: '127.0.0.1', mdns: false, name: 'a', keyFile: 'a.key' });
await a.start();
const b = createNode({ host: '127.0.0.1', mdns: false, name: 'b', keyFile: 'b.key', peers: a.urls });
await b.start();
const got = new Promise((resolve) => a.on('message', (data) => resolve(String(data))));
await b.ready({ timeout: 10000 });
b.broadcast('hello from b');
console.log('received', await got);
await Promise.all([a.stop(), b.stop()]);
`,
  );
  const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: app, timeout: 30_000 });
  assert.is(stdout, 'received hello from b\n');
});

test('a strict TypeScript consumer typechecks against the shipped declarations (skipLibCheck off)', async () => {
  writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false,
        exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  writeFileSync(
    path.join(app, 'consumer.ts'),
    `import { createNode, MeshSendError, Protocol, WsmeshError, type DialFailure, type PeerInfo } from 'wsmesh';
import { connectMesh } from 'wsmesh/browser';
const node = createNode({ mdns: false, peers: ['ws://127.0.0.1:7447/'] });
node.on('peer:dial-failed', (failure: DialFailure) => console.log(failure.url, failure.attempt, failure.cause));
node.on('message', (data, info) => console.log(info.from, typeof data === 'string' ? data : data.byteLength));
// @ts-expect-error misspelt event name
node.on('peer:conected', () => {});
export async function main(): Promise<PeerInfo[]> {
  await node.start();
  try {
    node.broadcast('x');
  } catch (error) {
    if (error instanceof MeshSendError && error.code === 'no-peers') console.log('nobody yet');
    else if (error instanceof WsmeshError) console.log(error.code);
  }
  return node.ready({ peers: 1, timeout: 1000 });
}
export const browserJoin: typeof connectMesh = connectMesh;
// Internals are not part of the published types: the codec's parser callbacks, the node's links, options, table.
const codec = new Protocol({ role: 'server' }, { write() {}, message() {}, ping() {}, pong() {}, closeFrame() {}, protocolError() {} });
// @ts-expect-error the parser's callback
codec.frame;
// @ts-expect-error the parser's callback
codec.frameHeader;
// @ts-expect-error internal: not a method (a module function the package does not export)
node.liveLink;
// @ts-expect-error not exported by the package
import('wsmesh').then((m) => m.liveLink);
// @ts-expect-error private: holds the secret
node.options;
// @ts-expect-error private: the mutable peer table
node.table;
`,
  );
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
  const result = await run(tsc, ['-p', app], { cwd: app }).then(
    () => '',
    (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
  );
  assert.is(result, '');
});

test('npx wsmesh --help', async () => {
  const { stdout } = await run('npx', ['--no-install', 'wsmesh', '--help'], { cwd: app, env: NPM_QUIET });
  assert.match(stdout, /^usage: wsmesh \[options\]/);
});

test.run();
