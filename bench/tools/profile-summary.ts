import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or `npm run bench -- --profile DIR`):
 * the functions with the most self time (share of the busy, non-idle time), with file and line.
 *   npx tsx bench/tools/profile-summary.ts DIR/CPU.*.cpuprofile [--top 25] [--gaps FILE]
 * With `--gaps FILE` (from `bench/tools/mesh-forming.ts --gaps FILE`): what ran during each long gap instead.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** Monotonic microseconds (the clock of process.hrtime). */
  startTime: number;
}

function summarise(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const where = frame.url ? `${path.relative(process.cwd(), frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    total += micros;
  }
  const lines = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${file}: ${(total / 1000).toFixed(0)} ms busy (${(idle / 1000).toFixed(0)} ms idle left out); self time:`,
    ...lines.map(([name, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`),
  ].join('\n');
}

/**
 * What ran during each gap (`bench/tools/mesh-forming.ts --gaps FILE`): the samples inside it, as inclusive time per
 * function (each function once per sample), and how many samples there were (few samples over a long gap: the
 * process got little CPU then).
 */
function gapsReport(file: string, gapsFile: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const gaps = JSON.parse(readFileSync(gapsFile, 'utf8')) as Array<[number, number]>;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`.trim();
  };
  const at: number[] = [];
  let clock = profile.startTime;
  for (const delta of profile.timeDeltas) at.push((clock += delta));
  const out: string[] = [`${file}: ${gaps.length} timer gaps over 45 ms`];
  for (const [start, end] of gaps) {
    const inclusive = new Map<string, number>();
    let samples = 0;
    profile.samples.forEach((id, index) => {
      if (at[index]! < start || at[index]! > end) return;
      samples++;
      const micros = profile.timeDeltas[index + 1] ?? 0;
      const seen = new Set<string>();
      for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
        const name = label(byId.get(node)!);
        if (seen.has(name) || /^\((root|program)\)/.test(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
      }
    });
    out.push(`gap of ${((end - start) / 1000).toFixed(0)} ms at +${((start - profile.startTime) / 1e6).toFixed(2)} s: ${samples} samples`);
    for (const [name, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${(micros / 1000).toFixed(0).padStart(5)} ms  ${name}`);
  }
  return out.join('\n');
}

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
const gapsIndex = args.indexOf('--gaps');
const gapsFile = gapsIndex >= 0 ? args.splice(gapsIndex, 2)[1] : undefined;
if (args.length === 0) {
  console.error('usage: npx tsx bench/tools/profile-summary.ts FILE.cpuprofile... [--top N] [--gaps FILE]');
  process.exit(2);
}
for (const file of args) console.log(`${gapsFile === undefined ? summarise(file, top) : gapsReport(file, gapsFile, top)}\n`);
