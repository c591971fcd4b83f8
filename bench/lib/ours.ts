import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Our library as users run it: compiled by `tsc -p tsconfig.build.json` into a temporary directory.
 * Running src/ through tsx would measure tsx instead: its esbuild transform keeps function names by
 * wrapping every closure in `__name()`, which costs a property store per closure created (and about
 * 256 bytes of heap per closure that lives on, e.g. per connection). tsx transforms every .js file
 * outside node_modules too, so the build goes under node_modules/.cache (where bare imports such as
 * mdns-js still resolve), with a package.json that marks it as ES modules.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_ENV = 'WSMESH_BENCH_BUILD';

/**
 * Builds once per bench run; children find the build through the environment. Returns a problem or null.
 * A build directory given in WSMESH_BENCH_BUILD is used as it is (A/B runs of a patched build; keep it
 * under a node_modules directory so that tsx leaves it alone).
 */
export function buildOurs(): string | null {
  if (process.env[BUILD_ENV]) return `using the prebuilt ${process.env[BUILD_ENV]} (WSMESH_BENCH_BUILD)`;
  const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'wsmesh-bench');
  removeStaleBuilds(cacheDir);
  const outDir = path.join(cacheDir, `build-${process.pid}`);
  freshModuleDir(outDir);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (!existsSync(path.join(outDir, 'transport', 'server.js'))) {
    return `tsc -p tsconfig.build.json produced no build: ${(result.stdout + result.stderr).trim().slice(0, 500)}`;
  }
  process.env[BUILD_ENV] = outDir;
  buildHarness(path.join(cacheDir, `build-${process.pid}-harness`));
  return result.status === 0 ? null : `tsc reported errors (the build was emitted anyway and is used): ${result.stdout.split('\n')[0]}`;
}

/** Where the compiled harness scripts are (see HARNESS_SCRIPTS), for bench/lib/children.ts. */
export const HARNESS_ENV = 'WSMESH_BENCH_HARNESS';

/**
 * Child scripts whose process CPU is a figure in itself (the idle CPU of 12 mesh processes, the mesh at scale),
 * compiled with tsc like the library: through tsx, a process also ran tsx's loader thread and its transforms (about
 * 5 % of one core in all for 12 idle processes in the 10 s after start, 1.6 % later). Others still run through tsx.
 */
const HARNESS_SCRIPTS = ['bench/mesh/mesh-node-process.ts', 'bench/mesh/scale-process.ts'];

function buildHarness(outDir: string): void {
  freshModuleDir(outDir);
  const config = path.join(outDir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: false, allowImportingTsExtensions: false, rewriteRelativeImportExtensions: true, rootDir: ROOT, outDir, declaration: false },
      include: [],
      files: HARNESS_SCRIPTS.map((script) => path.join(ROOT, script)),
    }),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', config], { cwd: ROOT, encoding: 'utf8' });
  if (HARNESS_SCRIPTS.every((script) => existsSync(path.join(outDir, script.replace(/\.ts$/, '.js'))))) process.env[HARNESS_ENV] = outDir;
}

/** The compiled harness script for a bench script (absolute path), or null: run it through tsx. */
export function compiledHarness(script: string): string | null {
  const dir = process.env[HARNESS_ENV];
  if (dir === undefined) return null;
  const relative = path.relative(ROOT, script);
  if (!HARNESS_SCRIPTS.includes(relative.split(path.sep).join('/'))) return null;
  const compiled = path.join(dir, relative.replace(/\.ts$/, '.js'));
  return existsSync(compiled) ? compiled : null;
}

/** The last commit before issue 10's secure mesh (wsmesh.v1: plain JSON links, HMAC proof): the "plain" side of the secure section. */
export const PLAIN_COMMIT = '1e0f21a';

/**
 * Builds the plain (pre-Noise) mesh from git (PLAIN_COMMIT, or another commit for an A/B run) next to our build,
 * for a side-by-side run in the same bench run. Returns the build directory, or a problem (string starting with "error:").
 */
export function buildPlain(commit: string = PLAIN_COMMIT): string {
  if (!/^[0-9A-Za-z][0-9A-Za-z._~^/-]*$/.test(commit)) return `error: not a commit name: ${commit}`;
  const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'wsmesh-bench');
  const work = path.join(cacheDir, `build-${process.pid}-${commit === PLAIN_COMMIT ? 'plain' : commit.replace(/[^0-9A-Za-z]/g, '')}`);
  freshModuleDir(work);
  mkdirSync(path.join(work, 'tree'), { recursive: true });
  const archive = spawnSync('sh', ['-c', `git archive ${commit} src tsconfig.json tsconfig.build.json | tar -x -C "${path.join(work, 'tree')}"`], { cwd: ROOT, encoding: 'utf8' });
  if (archive.status !== 0) return `error: git archive ${commit}: ${archive.stderr.trim()}`;
  const outDir = path.join(work, 'out');
  freshModuleDir(outDir);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', path.join(work, 'tree', 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false'], { cwd: path.join(work, 'tree'), encoding: 'utf8' });
  if (!existsSync(path.join(outDir, 'mesh', 'node.js'))) return `error: the build of ${commit} produced no mesh/node.js`;
  return outDir;
}

/**
 * `--base COMMIT` in the echo and connections sections: that commit's build as one more server contender,
 * "wsmesh @COMMIT" (built from git like the plain build; the same echo server script imports it).
 */
export function baseContender(config: { base: string | null }): Array<{ id: string; label: string; kind: 'ours'; env: Record<string, string> }> {
  if (config.base === null) return [];
  const build = buildPlain(config.base);
  if (build.startsWith('error:')) throw new Error(`--base: ${build}`);
  return [{ id: 'base', label: `wsmesh @${config.base}`, kind: 'ours', env: { [BUILD_ENV]: build } }];
}

/** An empty directory of ES modules (a package.json saying so), removed when this process exits. */
function freshModuleDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
}

/** Builds left behind by bench runs that were killed (their process is gone). */
function removeStaleBuilds(cacheDir: string): void {
  if (!existsSync(cacheDir)) return;
  for (const entry of readdirSync(cacheDir)) {
    const pid = /^build-(\d+)(-\w+)?$/.exec(entry)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) rmSync(path.join(cacheDir, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Imports one of our modules, e.g. `importOurs('transport/server')`: from the build, else from src/ via tsx. */
export async function importOurs(modulePath: string, fromBuild?: string): Promise<unknown> {
  const buildDir = fromBuild ?? process.env[BUILD_ENV];
  const file = buildDir ? path.join(buildDir, `${modulePath}.js`) : path.join(ROOT, 'src', `${modulePath}.ts`);
  return import(pathToFileURL(file).href);
}

export function oursOrigin(): string {
  return process.env[BUILD_ENV] ? 'compiled by tsc' : 'src/ through tsx';
}
