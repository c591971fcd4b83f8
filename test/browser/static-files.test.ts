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

test('every module the page imports is served, following relative imports from app.js', async () => {
  const pending = ['/app.js'];
  const served = new Set<string>();
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (served.has(path)) continue;
    const response = await fetch(base + path);
    assert.is(response.status, 200, `${path} is served`);
    assert.is(response.headers.get('content-type'), 'text/javascript; charset=utf-8', path);
    served.add(path);
    const source = await response.text();
    assert.not.match(source, /from ['"](node:|https?:)/, `${path} imports nothing outside the page`);
    for (const [, specifier] of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/g)) {
      pending.push(new URL(specifier, base + path).pathname);
    }
  }
  assert.ok(served.has('/browser/index.js') && served.has('/browser/mesh-client.js') && served.has('/browser/sha256.js'), [...served].join(' '));
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
