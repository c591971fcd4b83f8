import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../mesh/support.ts';

/**
 * Arrows point down: protocol and handshake (sans-I/O) < transport < mesh < src/node.ts (the composition of
 * HTTP server answers, page, mesh and discovery) < cli. And one concept, one implementation.
 */
const SRC = path.join(ROOT, 'src');

function sources(folder: string): string[] {
  return readdirSync(path.join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(folder, file));
}

/** The src-relative files a source file imports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((match) => match[1]);
  return specifiers.map((specifier) => path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), specifier)));
}

function violations(folder: string, forbidden: RegExp): string[] {
  return sources(folder).flatMap((file) => importsOf(file).filter((target) => forbidden.test(target)).map((target) => `${file} -> ${target}`));
}

test('src/mesh knows nothing of pages, mDNS, the CLI or its own composition, and writes no HTTP response', () => {
  assert.equal(violations('mesh', /^(web|cli|discovery\/mdns)\/|^node\.ts$/), []);
  const writers = sources('mesh').filter((file) => /\.writeHead\(|HTTP\/1\.1 /.test(readFileSync(path.join(SRC, file), 'utf8')));
  assert.equal(writers, []);
});

test('the codec and the handshake import nothing above them', () => {
  assert.equal(violations('protocol', /^(transport|mesh|web|cli|discovery)\/|^node\.ts$/), []);
  assert.equal(violations('handshake', /^(transport|mesh|web|cli|discovery)\/|^node\.ts$/), []);
  assert.equal(violations('transport', /^(mesh|web|cli|discovery)\/|^node\.ts$/), []);
});

test('UTF-8 truncation, request-path splitting and deflate parameter parsing exist once', () => {
  const all = [...sources('.')].map((file) => [file, readFileSync(path.join(SRC, file), 'utf8')] as const);
  const where = (pattern: RegExp) => all.filter(([, text]) => pattern.test(text)).map(([file]) => file);
  assert.equal(where(/function truncateUtf8\b|\\ufffd'\) \?/), ['protocol/utf8.ts']);
  assert.equal(where(/split\('\?'\)|indexOf\('\?'\)/), ['handshake/server-handshake.ts']);
  assert.equal(where(/['"]server_max_window_bits['"]/), ['protocol/permessage-deflate.ts']);
});

test('the mesh envelope (validation, frames, dedup) exists once, in src/wire: the page has no parser of its own', () => {
  const scripts = (folder: string) =>
    readdirSync(path.join(SRC, folder), { encoding: 'utf8' })
      .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts'))
      .map((file) => [path.join(folder, file), readFileSync(path.join(SRC, folder, file), 'utf8')] as const);
  const all = [...scripts('browser'), ...scripts('web'), ...scripts('wire'), ...scripts('mesh')];
  const where = (pattern: RegExp) => all.filter(([, text]) => pattern.test(text)).map(([file]) => file);
  // Field validation, the binary frame's header length, JSON parsing of messages and the seen-id cache.
  assert.equal(where(/field "\$\{key\}" must be|must be a JSON object/).filter((file) => !file.startsWith('wire/')), []);
  assert.equal(where(/header length|getUint32\(0\)|readUInt32BE\(0\)/), ['wire/envelope.js']);
  assert.equal(where(/class (SeenIds|DedupCache)\b/), ['wire/dedup-cache.js']);
  assert.equal(
    scripts('browser').filter(([, text]) => /JSON\.parse|TextDecoder|from '\.\/envelope\.js'/.test(text)).map(([file]) => file),
    [],
  );
  assert.ok(!existsSync(path.join(SRC, 'browser', 'envelope.js')) && !existsSync(path.join(SRC, 'browser', 'seen-ids.js')));
  assert.match(readFileSync(path.join(SRC, 'browser', 'mesh-client.js'), 'utf8'), /from '\.\.\/wire\/envelope\.js'/);
});

test.run();
