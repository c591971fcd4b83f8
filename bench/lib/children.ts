import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { compiledHarness } from './ours.ts';

/** Parent side of the benchmark processes: spawn pinned children, talk to them over IPC, always clean up. */

export interface ChildSpec {
  /** Path of a .ts script under bench/ (absolute). */
  script: string;
  args?: string[];
  /** CPU list for `taskset -c` (e.g. "1"); undefined = not pinned. */
  cpu?: string | undefined;
  env?: Record<string, string>;
  nodeFlags?: string[];
  /** Run under `ulimit -n 65536` (or the hard limit when lower and we may not raise it). */
  raiseFdLimit?: boolean;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

const liveChildren = new Set<ChildProcess>();
/** How long a child may take to answer one request: 15 minutes, or WSMESH_BENCH_REQUEST_TIMEOUT_S seconds. */
const REQUEST_TIMEOUT_MS = Number(process.env.WSMESH_BENCH_REQUEST_TIMEOUT_S ?? 900) * 1000;
const tsxLoader = import.meta.resolve('tsx');
let tasksetChecked: boolean | undefined;

export function canPin(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked;
}

export class BenchChild {
  readonly ready: Promise<Record<string, unknown>>;
  private readonly process: ChildProcess;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private stderrTail = '';
  private exited = false;

  constructor(readonly spec: ChildSpec) {
    // A harness script compiled with the library (bench/lib/ours.ts) runs without tsx; the others through it.
    const compiled = compiledHarness(spec.script);
    const script = compiled === null ? ['--import', tsxLoader, spec.script] : [compiled];
    const nodeCommand = [process.execPath, ...(spec.nodeFlags ?? []), ...script, ...(spec.args ?? [])];
    const pinned = spec.cpu !== undefined && canPin() ? ['taskset', '-c', spec.cpu, ...nodeCommand] : nodeCommand;
    const command = spec.raiseFdLimit
      ? ['bash', '-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', ...pinned]
      : pinned;
    this.process = spawn(command[0]!, command.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...spec.env },
    });
    liveChildren.add(this.process);
    this.process.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    this.ready = new Promise((resolve, reject) => {
      this.process.on('message', (message: { ready?: Record<string, unknown> } & Partial<Reply>) => {
        if (message.ready) {
          resolve(message.ready);
          return;
        }
        const waiter = this.pending.get(message.id!);
        if (!waiter) return;
        this.pending.delete(message.id!);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new Error(`${this.name}: ${message.error}`));
      });
      this.process.on('exit', (code, signal) => {
        this.exited = true;
        liveChildren.delete(this.process);
        const error = new Error(`${this.name} exited (code ${code}, signal ${signal})${this.stderrTail ? `:\n${this.stderrTail.trim()}` : ''}`);
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      this.process.on('error', reject);
    });
    this.ready.catch(() => {});
  }

  get name(): string {
    return [basename(this.spec.script), ...(this.spec.args ?? [])].join(' ');
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /**
   * Sends `command` and waits for its reply. A child that has not answered after `timeoutMs` (a hang, not a slow
   * run: the longest request takes a few minutes) is killed, and the request fails with the command's name.
   */
  async request<T>(command: string, payload: Record<string, unknown> = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    await this.ready;
    if (this.exited) throw new Error(`${this.name} has exited`);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no reply to "${command}" in ${timeoutMs / 1000} s; the child was killed`));
        this.process.kill('SIGKILL');
      }, timeoutMs);
      const settle = <V>(done: (value: V) => void) => (value: V) => {
        clearTimeout(timer);
        done(value);
      };
      this.pending.set(id, { resolve: settle(resolve as (value: unknown) => void), reject: settle(reject) });
      this.process.send({ id, command, ...payload });
    });
  }

  /** Ends this child: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

export async function startChild(spec: ChildSpec): Promise<{ child: BenchChild; info: Record<string, unknown> }> {
  const child = new BenchChild(spec);
  try {
    return { child, info: await child.ready };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  liveChildren.clear();
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
