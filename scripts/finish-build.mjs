// After `tsc -p tsconfig.build.json`: TypeScript rewrites relative `.ts` import specifiers to `.js` in the
// emitted JavaScript (rewriteRelativeImportExtensions) but leaves them as written in the declaration files.
// A consumer's compiler would then look for .ts files that the package does not ship, so rewrite them here.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;

function* declarationFiles(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* declarationFiles(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

let rewritten = 0;
for (const file of declarationFiles(process.argv[2] ?? 'dist')) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(SPECIFIER, '$1$2.js$3');
  if (fixed !== text) {
    writeFileSync(file, fixed);
    rewritten++;
  }
}
process.stdout.write(`finish-build: .ts import specifiers rewritten to .js in ${rewritten} declaration files\n`);
