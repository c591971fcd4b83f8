import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

/** The packages the page imports by name; served from the installed copies, never from a CDN. */
export const VENDOR_PACKAGES = ['@noble/curves', '@noble/ciphers', '@noble/hashes'] as const;
export const VENDOR_PREFIX = '/vendor/';

/** Plain module names only (no dot files), in plain folders. */
const MODULE_FILE = /^[a-z0-9_][a-z0-9_.-]*\.js$/i;
const MODULE_FOLDER = /^[a-z0-9_][a-z0-9_-]*$/i;

/**
 * `/vendor/@noble/<package>/<path>.js` -> file, for every ES module of the packages, found where Node
 * resolves them at run time (the node's own node_modules). Their TypeScript sources (`src/`) are left out.
 * A package that is not installed is left out too (the page then reports that it cannot load).
 */
export function vendorModules(): Map<string, string> {
  const modules = new Map<string, string>();
  const require = createRequire(import.meta.url);
  for (const name of VENDOR_PACKAGES) {
    let root: string;
    try {
      root = dirname(require.resolve(name));
    } catch {
      continue;
    }
    for (const file of listModules(root, root)) modules.set(`${VENDOR_PREFIX}${name}/${relative(root, file).split(sep).join('/')}`, file);
  }
  return modules;
}

function listModules(root: string, folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && MODULE_FILE.test(entry.name)) found.push(join(folder, entry.name));
    else if (entry.isDirectory() && MODULE_FOLDER.test(entry.name) && !(folder === root && (entry.name === 'src' || entry.name === 'node_modules'))) {
      found.push(...listModules(root, join(folder, entry.name)));
    }
  }
  return found;
}

const BARE_IMPORT = new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(?\\s*)(['"])(${VENDOR_PACKAGES.map((name) => name.replace('/', '\\/')).join('|')})\\/`, 'g');

/**
 * A browser resolves only URLs: `import ... from '@noble/hashes/sha2.js'` (in the noble packages and in
 * src/browser, which bundlers and Node resolve by name) becomes `'/vendor/@noble/hashes/sha2.js'`. An import
 * map would do the same but needs an inline script, which the page's CSP (`script-src 'self'`) forbids.
 */
export function rewriteBareImports(source: string): string {
  return source.replace(BARE_IMPORT, (_match, keyword: string, quote: string, name: string) => `${keyword}${quote}${VENDOR_PREFIX}${name}/`);
}
