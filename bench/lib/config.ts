import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSize } from './format.ts';

/** Command line and the durations/sizes of a full or a --quick run. */

export interface BenchConfig {
  quick: boolean;
  write: boolean;
  out: string;
  only: Set<string> | null;
  rounds: number;
  /** CPUs for `taskset -c`: servers on one, load generators and clients on the other (or both on one). */
  serverCpu: string;
  clientCpu: string;
  pinning: string;
  /** Run the library processes under `node --cpu-prof`, writing profiles under this directory. */
  profileDir: string | null;
  /** Only echo/client cases whose label contains this text, e.g. "text 64 KiB". */
  caseFilter: string | null;
  /** Secure and mesh sections: also measure this commit's build (A/B against the working tree). */
  base: string | null;
  /** Mesh section: the N of the in-process scale runs (default 10, 30, 60, 100). */
  meshSizes: number[] | null;
  /**
   * Mesh section: the CPUs of the in-process scale runs (`taskset -c`). Both bench CPUs by default: nothing else runs
   * meanwhile, and pinned to one CPU the process shares it with its own V8 (garbage collection) and libuv threads.
   */
  meshCpus: string;
  echo: { warmupMs: number; measureMs: number; cases: EchoCase[] };
  clientRole: { warmupMs: number; measureMs: number; cases: EchoCase[] };
  latency: { iterations: number; warmup: number };
  idle: { connections: number; clients: number; concurrencyPerClient: number };
  codec: { measureMs: number; maskSizes: number[]; frameSizes: number[] };
}

export interface EchoCase {
  binary: boolean;
  size: number;
  connections: number;
}

export const SECTIONS = ['codec', 'echo', 'client', 'latency', 'connections', 'mesh', 'secure', 'browser'] as const;

const KiB = 1024;
const MiB = 1024 * 1024;

export function caseLabel(echoCase: EchoCase): string {
  return `${echoCase.binary ? 'binary' : 'text'} ${formatSize(echoCase.size)}, ${echoCase.connections} conn`;
}

/** Node flags that make a library process write a CPU profile under `profileDir`, when profiling. */
export function profileFlags(config: BenchConfig, name: string): string[] {
  return config.profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(config.profileDir, name)] : [];
}

function grid(types: boolean[], sizes: number[], connectionCounts: number[]): EchoCase[] {
  return connectionCounts.flatMap((connections) => types.flatMap((binary) => sizes.map((size) => ({ binary, size, connections }))));
}

export function readConfig(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      out: { type: 'string', default: new URL('../RESULTS.md', import.meta.url).pathname },
      only: { type: 'string' },
      rounds: { type: 'string' },
      pin: { type: 'string', default: 'split' },
      profile: { type: 'string' },
      case: { type: 'string' },
      base: { type: 'string' },
      'mesh-sizes': { type: 'string' },
      'mesh-cpus': { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick!;
  const only = values.only ? new Set(values.only.split(',').map((name) => name.trim())) : null;
  for (const name of only ?? []) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section "${name}" (sections: ${SECTIONS.join(', ')})`);
  }
  const twoCores = os.availableParallelism() >= 2;
  const split = values.pin === 'split' && twoCores;
  if (values.pin !== 'split' && values.pin !== 'same') throw new Error('--pin must be "split" or "same"');
  if (values['mesh-cpus'] !== undefined && !/^\d+(,\d+)*$/.test(values['mesh-cpus'])) throw new Error(`--mesh-cpus: "${values['mesh-cpus']}" is not a CPU list such as 1 or 0,1`);
  const config: BenchConfig = {
    quick,
    write: values.write!,
    out: values.out!,
    only,
    rounds: values.rounds ? Number(values.rounds) : quick ? 1 : 5,
    profileDir: values.profile ? path.resolve(values.profile) : null,
    caseFilter: values.case ?? null,
    base: values.base ?? null,
    meshSizes: values['mesh-sizes'] === undefined ? null : values['mesh-sizes'].split(',').map((size) => {
      const count = Number(size);
      if (!Number.isInteger(count) || count < 2 || count > 1000) throw new Error(`--mesh-sizes: "${size}" is not a node count from 2 to 1000`);
      return count;
    }),
    meshCpus: values['mesh-cpus'] ?? (split ? '0,1' : '0'),
    serverCpu: split ? '1' : '0',
    clientCpu: '0',
    pinning: split
      ? 'servers pinned to CPU 1, load generator and clients to CPU 0 (taskset)'
      : 'servers, load generator and clients all pinned to CPU 0 (taskset)',
    echo: quick
      ? { warmupMs: 100, measureMs: 200, cases: [...grid([true], [KiB], [1]), ...grid([false], [16], [4])] }
      : { warmupMs: 250, measureMs: 750, cases: grid([true, false], [16, KiB, 64 * KiB, MiB], [1, 64]) },
    clientRole: quick
      ? { warmupMs: 100, measureMs: 200, cases: grid([true], [KiB], [1]) }
      : { warmupMs: 250, measureMs: 750, cases: [...grid([true], [16, KiB, 64 * KiB, MiB], [1]), ...grid([false], [KiB], [1])] },
    latency: quick ? { iterations: 200, warmup: 50 } : { iterations: 5000, warmup: 500 },
    idle: quick ? { connections: 200, clients: 2, concurrencyPerClient: 16 } : { connections: 10_000, clients: 4, concurrencyPerClient: 50 },
    codec: quick
      ? { measureMs: 20, maskSizes: [64, 64 * KiB], frameSizes: [KiB] }
      : { measureMs: 150, maskSizes: [64, 256, 512, KiB, 4 * KiB, 16 * KiB, 64 * KiB, MiB, 4 * MiB], frameSizes: [16, KiB, 64 * KiB, MiB] },
  };
  const filter = config.caseFilter;
  if (filter !== null) {
    config.echo.cases = config.echo.cases.filter((echoCase) => caseLabel(echoCase).includes(filter));
    config.clientRole.cases = config.clientRole.cases.filter((echoCase) => caseLabel(echoCase).includes(filter));
  }
  return config;
}

export function sectionEnabled(config: BenchConfig, section: (typeof SECTIONS)[number]): boolean {
  return config.only === null || config.only.has(section);
}
