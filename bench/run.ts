import { writeFileSync } from 'node:fs';
import { readConfig, sectionEnabled, type BenchConfig, type SECTIONS } from './lib/config.ts';
import { loadAverage, machineLine } from './lib/machine.ts';
import { buildOurs } from './lib/ours.ts';
import { renderTable, type Table } from './lib/table.ts';
import { runBrowserSection } from './sections/browser.ts';
import { runClientRoleSection } from './sections/client-role.ts';
import { runCodecSection } from './sections/codec.ts';
import { runConnectionsSection } from './sections/connections.ts';
import { runEchoSection } from './sections/echo.ts';
import { runLatencySection } from './sections/latency.ts';
import { runMeshSection } from './sections/mesh.ts';
import { runSecureSection } from './sections/secure.ts';

/**
 * The benchmark suite: `npm run bench` prints the tables; `npm run bench -- --write` also regenerates
 * bench/RESULTS.md; `--quick` is a few-second smoke run; `--only echo,latency` picks sections.
 */

const sections: Array<{ name: (typeof SECTIONS)[number]; heading: string; run: (config: BenchConfig) => Promise<Table[]> }> = [
  { name: 'codec', heading: 'Codec micro-benchmarks', run: runCodecSection },
  { name: 'echo', heading: 'Echo throughput (server role)', run: runEchoSection },
  { name: 'client', heading: 'Client role', run: runClientRoleSection },
  { name: 'latency', heading: 'Latency', run: runLatencySection },
  { name: 'connections', heading: 'Idle connections', run: runConnectionsSection },
  { name: 'mesh', heading: 'Mesh', run: runMeshSection },
  { name: 'secure', heading: 'Secure mesh', run: runSecureSection },
  { name: 'browser', heading: 'Browser peers', run: runBrowserSection },
];

const config = readConfig(process.argv.slice(2));
const buildProblem = buildOurs();
const command = `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const machine = machineLine();
const started = performance.now();
const output: string[] = [
  '# wsmesh benchmark results',
  '',
  `Command: \`${command}\``,
  '',
  `Machine: ${machine}`,
  '',
  `Load average at start: ${loadAverage()}. Pinning: ${config.pinning}.`,
  '',
  `wsmesh is measured as compiled by \`tsc -p tsconfig.build.json\` (what npm users run), not through tsx.${buildProblem ? ` Build note: ${buildProblem}` : ''}`,
];
console.log(output.join('\n'));
let failed = false;
for (const section of sections) {
  if (!sectionEnabled(config, section.name)) continue;
  const sectionStarted = performance.now();
  const text = [`\n## ${section.heading}\n`];
  try {
    for (const table of await section.run(config)) text.push(renderTable(table), '');
  } catch (error) {
    failed = true;
    text.push(`Section failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  }
  text.push(`(${section.name}: ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s)`);
  console.log(text.join('\n'));
  output.push(...text);
}
const footer = `\nTotal: ${((performance.now() - started) / 1000).toFixed(0)} s. Load average at end: ${loadAverage()}.`;
console.log(footer);
output.push(footer);
if (config.write) {
  writeFileSync(config.out, `${output.join('\n')}\n`);
  console.log(`wrote ${config.out}`);
}
process.exitCode = failed ? 1 : 0;
