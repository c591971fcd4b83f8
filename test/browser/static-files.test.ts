import { createServer, get } from 'node:http';
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serveWebUi } from '../../src/web/static-files.ts';
import { closeServer, listenOnFreePort, LOOPBACK } from '../helpers/ports.ts';

let server: Server;
let base = '';

/** A GET with the path exactly as given (fetch would normalise `..` away). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(base + '/', { path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test.before(async () => {
  server = createServer((request, response) => {
    if (serveWebUi(request, response)) return;
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not the web UI');
  });
  base = `http://${LOOPBACK}:${await listenOnFreePort(server)}`;
});

test.after(() => closeServer(server));

test('/ serves the page with a strict Content-Security-Policy and no inline or remote script', async () => {
  const response = await fetch(`${base}/?node=ws://127.0.0.1:1/`);
  assert.is(response.status, 200);
  assert.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.is(response.headers.get('x-content-type-options'), 'nosniff');
  const policy = response.headers.get('content-security-policy') ?? '';
  assert.ok(policy.includes("script-src 'self'"), policy);
  assert.not.ok(policy.includes('unsafe-inline'), policy);
  const html = await response.text();
  assert.ok(html.includes('<script type="module" src="app.js"></script>'));
  assert.not.match(html, /<script>|(src|href)="(https?:)?\/\//, 'no inline script and nothing from another host (works offline)');
});

/** Fetches `start` and every module it imports, transitively; fails on a module that is not served. */
async function crawlModules(start: string): Promise<Set<string>> {
  const pending = [start];
  const served = new Set<string>();
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (served.has(path)) continue;
    const response = await fetch(base + path);
    assert.is(response.status, 200, `${path} is served`);
    assert.is(response.headers.get('content-type'), 'text/javascript; charset=utf-8', path);
    served.add(path);
    const source = await response.text();
    assert.not.match(source, /from\s*['"](node:|https?:)/, `${path} imports nothing outside the page`);
    for (const [, , specifier] of source.matchAll(/(?:^|\n|;)\s*(?:import|export)\s[^'"]*?from\s*(['"])([^'"]+)\1/g)) {
      assert.match(specifier, /^(\.{1,2})?\//, `${path} imports ${specifier} by URL (a browser cannot resolve a bare name)`);
      pending.push(new URL(specifier, base + path).pathname);
    }
  }
  return served;
}

test('every module the page imports is served, following its imports from app.js', async () => {
  const served = await crawlModules('/app.js');
  assert.ok(served.has('/browser/index.js') && served.has('/browser/mesh-client.js'), [...served].join(' '));
});

test('the @noble packages are served from node_modules under /vendor/, imports rewritten to those paths', async () => {
  const served = await crawlModules('/vendor/@noble/curves/ed25519.js');
  assert.ok(served.has('/vendor/@noble/hashes/sha2.js') && served.has('/vendor/@noble/curves/abstract/edwards.js'), [...served].join(' '));
  const chacha = await crawlModules('/vendor/@noble/ciphers/chacha.js');
  assert.ok(chacha.has('/vendor/@noble/hashes/utils.js') || chacha.has('/vendor/@noble/ciphers/utils.js'), [...chacha].join(' '));
  for (const path of ['/vendor/@noble/curves/src/ed25519.ts', '/vendor/@noble/curves/package.json', '/vendor/@noble/curves/ed25519.d.ts', '/vendor/@noble/other/x.js']) {
    assert.equal(await rawGet(path), { status: 404, body: 'not the web UI' }, path);
  }
});

test('styles and the icon have their content types; HEAD has headers only', async () => {
  assert.is((await fetch(`${base}/style.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
  assert.is((await fetch(`${base}/favicon.svg`)).headers.get('content-type'), 'image/svg+xml');
  const head = await fetch(`${base}/`, { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.ok(Number(head.headers.get('content-length')) > 100);
  assert.is(await head.text(), '');
});

test('other paths are left to the node: sources, type declarations, dot files, traversal', async () => {
  for (const path of [
    '/status',
    '/static-files.ts',
    '/origin-policy.ts',
    '/browser/index.d.ts',
    '/browser/tsconfig.json',
    '/browser/',
    '/web/app.js',
    '/../package.json',
    '/%2e%2e/package.json',
    '/browser/../app.js',
    '/browser/%2e%2e%2fapp.js',
    '/APP.JS',
  ]) {
    assert.equal(await rawGet(path), { status: 404, body: 'not the web UI' }, path);
  }
});

test('methods other than GET and HEAD get 405 with Allow', async () => {
  const response = await fetch(`${base}/app.js`, { method: 'POST', body: 'x' });
  assert.is(response.status, 405);
  assert.is(response.headers.get('allow'), 'GET, HEAD');
  assert.match(await response.text(), /POST is not allowed/);
});

test.run();
