import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestPath } from '../handshake/server-handshake.ts';
import { rewriteBareImports, vendorModules } from './vendor-modules.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
/** Plain names only: no directories, no dot files, no percent-encoding, so no way out of the asset folders. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|png)$/;
const BROWSER_PREFIX = '/browser/';
const WIRE_PREFIX = '/wire/';

/**
 * The page may only run scripts and styles from the node itself (no inline script, so received text can
 * never run); it may connect anywhere, since `?node=` can point it at another node.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** URL path -> file path, listed at first use. */
let assets: Map<string, string> | undefined;

/**
 * The page's files live in src/web and src/browser of the package. Run from source (tsx) that is this
 * module's folder; run from dist/web/ the assets are found two levels up in src/ (the package ships src/web
 * and src/browser as they are: they need no build).
 */
function assetFiles(): Map<string, string> {
  if (assets !== undefined) return assets;
  const here = dirname(fileURLToPath(import.meta.url));
  const web = existsSync(join(here, 'index.html')) ? here : join(here, '..', '..', 'src', 'web');
  const browser = join(web, '..', 'browser');
  const wire = join(web, '..', 'wire');
  const files = new Map<string, string>();
  for (const name of listAssets(web)) files.set(`/${name}`, join(web, name));
  for (const name of listAssets(browser)) if (name.endsWith('.js')) files.set(`${BROWSER_PREFIX}${name}`, join(browser, name));
  for (const name of listAssets(wire)) if (name.endsWith('.js')) files.set(`${WIRE_PREFIX}${name}`, join(wire, name));
  for (const [path, file] of vendorModules()) files.set(path, file);
  files.set('/', join(web, 'index.html'));
  assets = files;
  return assets;
}

function listAssets(folder: string): string[] {
  try {
    return readdirSync(folder).filter((name) => ASSET_NAME.test(name));
  } catch {
    return [];
  }
}

function pathOf(request: IncomingMessage): string {
  return requestPath(request.url);
}

/** Whether `serveWebUi` answers this request path (`/`, `/app.js`, `/browser/index.js`, ...). */
export function isWebUiPath(path: string): boolean {
  return assetFiles().has(path);
}

function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${message}\n`;
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}

/**
 * Serves the web UI: `/` (index.html), the page's modules, styles and images, the browser client
 * under `/browser/`, the shared wire module under `/wire/` and the @noble crypto packages under
 * `/vendor/@noble/` (imports of `@noble/...` rewritten to those paths, see vendor-modules.ts). Returns false, without touching `response`, for any other path (the node answers
 * those: `/status`, 404, ...). Files are read on each request; the set of names is fixed at first use.
 */
export function serveWebUi(request: IncomingMessage, response: ServerResponse): boolean {
  const file = assetFiles().get(pathOf(request));
  if (file === undefined) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendError(response, 405, `${request.method} is not allowed here; use GET`, { Allow: 'GET, HEAD' });
    return true;
  }
  readFile(file).then(
    (content: Buffer) => {
      const extension = file.slice(file.lastIndexOf('.'));
      if (extension === '.js') content = Buffer.from(rewriteBareImports(content.toString('utf8')));
      const headers: Record<string, string | number> = {
        'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
        'Content-Length': content.length,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      };
      if (extension === '.html') headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : content);
    },
    (error: NodeJS.ErrnoException) => {
      if (!response.headersSent) sendError(response, error.code === 'ENOENT' ? 404 : 500, `cannot read ${pathOf(request)}: ${error.code ?? error.message}`);
      else response.destroy();
    },
  );
  return true;
}
