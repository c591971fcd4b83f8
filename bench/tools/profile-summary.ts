import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or `npm run bench -- --profile DIR`):
 * the functions with the most self time (share of the busy, non-idle time), with file and line.
 *   npx tsx bench/tools/profile-summary.ts DIR/CPU.*.cpuprofile [--top 25]
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

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
if (args.length === 0) {
  console.error('usage: npx tsx bench/tools/profile-summary.ts FILE.cpuprofile... [--top N]');
  process.exit(2);
}
for (const file of args) console.log(`${summarise(file, top)}\n`);
