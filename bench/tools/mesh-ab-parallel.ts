import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startChild } from '../lib/children.ts';
import type { ScaleFigures } from '../mesh/scale-process.ts';

/**
 * The in-process mesh run of `npm run bench -- --only mesh` (bench/mesh/scale-process.ts) for two builds at the
 * same time, both pinned to one CPU: on a machine whose load changes minute to minute, both get the same share,
 * which a sequential A/B does not give. Prints both figure sets as JSON, side by side.
 *   node --import tsx bench/tools/mesh-ab-parallel.ts BUILD_A BUILD_B N [--cpu 1] [--idle 10000] [--broadcasts 20]
 * BUILD_* are `tsc -p tsconfig.build.json --outDir DIR` trees (DIR under a directory whose node_modules resolves).
 */

const positional = process.argv.slice(2).filter((arg, index, all) => !arg.startsWith('--') && !all[index - 1]?.startsWith('--'));
const option = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1]!;
};
const [buildA, buildB, nodes] = positional;
if (buildA === undefined || buildB === undefined || nodes === undefined) throw new Error('usage: mesh-ab-parallel.ts BUILD_A BUILD_B N [--cpu 1]');
const script = fileURLToPath(new URL('../mesh/scale-process.ts', import.meta.url));
const payload = { count: Number(nodes), idleMs: Number(option('idle', '10000')), broadcasts: Number(option('broadcasts', '20')) };
const children = await Promise.all([buildA, buildB].map(async (build) => ({ build, ...(await startChild({ script, cpu: option('cpu', '1') })) })));
try {
  const results = await Promise.all(children.map(({ child, build }) => child.request<ScaleFigures>('run', { ...payload, build: path.resolve(build) })));
  results.forEach((figures, index) => console.log(JSON.stringify({ build: children[index]!.build, ...figures })));
} finally {
  await Promise.all(children.map(({ child }) => child.stop()));
}
