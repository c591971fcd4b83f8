import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../mesh/support.ts';

/**
 * The code in README.md and docs/*.md is code a user copies: every ```ts block is typechecked (strict, as a
 * module importing 'wsmesh'), every ```js block too (checkJs, with the DOM: they are browser code), and the
 * README's quick start runs. A block that is only a fragment opts out with the comment `// doc-test: fragment`.
 */
const run = promisify(execFile);
const OUT = path.join(ROOT, 'test-artifacts', 'doc-blocks');
const FRAGMENT = '// doc-test: fragment';

interface Block {
  file: string;
  line: number;
  lang: 'ts' | 'js';
  code: string;
}

function blocksOf(file: string): Block[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const blocks: Block[] = [];
  const fence = /^```(ts|js|typescript|javascript)\n([\s\S]*?)^```$/gm;
  for (const match of text.matchAll(fence)) {
    const line = text.slice(0, match.index).split('\n').length;
    blocks.push({ file, line, lang: match[1].startsWith('t') ? 'ts' : 'js', code: match[2] });
  }
  return blocks;
}

const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const blocks = files.flatMap(blocksOf);
const checked = blocks.filter((block) => !block.code.includes(FRAGMENT));

function blockFile(block: Block): string {
  return `${block.file.replace(/[^a-z0-9]+/gi, '-')}-line-${block.line}.${block.lang}`;
}

function tsconfig(lang: 'ts' | 'js', names: string[]): object {
  return {
    compilerOptions: {
      strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true,
      allowImportingTsExtensions: true, allowJs: true, checkJs: lang === 'js', noImplicitAny: lang === 'ts',
      lib: lang === 'js' ? ['es2022', 'dom'] : ['es2022'], types: lang === 'js' ? [] : ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')],
      paths: { wsmesh: [path.join(ROOT, 'src/index.ts')], 'wsmesh/browser': [path.join(ROOT, 'src/browser/index.js')] },
    },
    files: names,
  };
}

test.before(() => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
});

test('the docs have code blocks, and few of them opt out as fragments', () => {
  assert.ok(blocks.length >= 10, `found ${blocks.length} blocks`);
  const fragments = blocks.length - checked.length;
  assert.ok(fragments <= 3, `${fragments} fragments: ${blocks.filter((block) => !checked.includes(block)).map((block) => `${block.file}:${block.line}`).join(', ')}`);
});

for (const lang of ['ts', 'js'] as const) {
  test(`every \`\`\`${lang} block typechecks`, async () => {
    const mine = checked.filter((block) => block.lang === lang);
    for (const block of mine) writeFileSync(path.join(OUT, blockFile(block)), `${block.code}\nexport {};\n`);
    const config = path.join(OUT, `tsconfig.${lang}.json`);
    writeFileSync(config, JSON.stringify(tsconfig(lang, mine.map(blockFile))));
    const output = await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', config], { cwd: OUT }).then(
      () => '',
      (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
    );
    // Errors name the block's file, which names the document and the line of its fence.
    assert.is(output, '', output);
  });
}

test("the README's quick start runs as written", async () => {
  const quickStart = blocksOf('README.md').find((block) => block.lang === 'ts' && block.code.includes('createNode'));
  assert.ok(quickStart, 'the README has a quick start using createNode');
  const source = quickStart.code.replaceAll("from 'wsmesh'", `from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`);
  const file = path.join(OUT, 'quick-start.ts');
  writeFileSync(file, `${source}\nexport {};\n`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 60_000 });
  assert.is(stdout, 'alice got: build 1234 is green (from bob)\n');
});

test.run();
