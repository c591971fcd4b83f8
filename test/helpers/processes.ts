import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { withTimeout } from './timeout.ts';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process that is always killed: by `kill()`, `killAllChildren()`, or when this process exits. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Complete stdout lines received so far. */
  readonly lines: readonly string[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line (past or future) matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Calls `listener` with every stdout line that arrives from now on. */
  onLine(listener: (line: string) => void): void;
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  kill(graceMs?: number): Promise<ExitStatus>;
}

const running = new Set<ManagedProcess>();

function killNow(managed: ManagedProcess): void {
  try {
    managed.child.kill('SIGKILL');
  } catch {
    // already gone
  }
}

process.on('exit', () => {
  for (const managed of running) killNow(managed);
});
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
for (const signal of Object.keys(SIGNAL_NUMBERS) as Array<keyof typeof SIGNAL_NUMBERS>) {
  process.once(signal, () => {
    for (const managed of running) killNow(managed);
    // Other handlers (e.g. a test's own cleanup) decide when to exit; otherwise die like the default would.
    if (process.listenerCount(signal) === 0) process.exit(128 + SIGNAL_NUMBERS[signal]);
  });
}

/** Spawns `command` with piped stdio (stdin open) and tracks it so that it never outlives the test process. */
export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const lineWaiters = new Set<(line: string) => void>();
  let stdoutText = '';
  let stderrText = '';
  let partialLine = '';
  let exitStatus: ExitStatus | null = null;

  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdoutText += chunk;
    const parts = (partialLine + chunk).split('\n');
    partialLine = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of lineWaiters) waiter(line);
    }
  });
  child.stderr!.on('data', (chunk: string) => {
    stderrText += chunk;
  });

  const exited = new Promise<ExitStatus>((resolve) => {
    const finish = (status: ExitStatus) => {
      if (exitStatus) return;
      exitStatus = status;
      running.delete(managed);
      resolve(status);
    };
    child.once('close', (code, signal) => finish({ code, signal }));
    child.once('error', (error) => {
      stderrText += `spawn error: ${error.message}\n`;
      finish({ code: null, signal: null });
    });
  });

  const describe = () => `${command} ${args.join(' ')}`;

  const managed: ManagedProcess = {
    child,
    get pid() {
      return child.pid ?? -1;
    },
    lines,
    stdout: () => stdoutText,
    stderr: () => stderrText,
    exited,
    waitForLine(pattern, timeoutMs = 15_000) {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      let onLine: ((line: string) => void) | undefined;
      const found = new Promise<RegExpMatchArray>((resolve, reject) => {
        onLine = (line) => {
          const match = line.match(pattern);
          if (match) resolve(match);
        };
        lineWaiters.add(onLine);
        exited.then((status) =>
          reject(
            new Error(
              `${describe()} exited (code ${status.code}, signal ${status.signal}) before printing a line matching ${pattern}; stderr:\n${stderrText}`,
            ),
          ),
        );
      });
      return withTimeout(found, timeoutMs, `waiting for ${pattern} from ${describe()}`).finally(() => {
        if (onLine) lineWaiters.delete(onLine);
      });
    },
    onLine(listener) {
      lineWaiters.add(listener);
    },
    async kill(graceMs = 2_000) {
      if (exitStatus) return exitStatus;
      child.kill('SIGTERM');
      const timer = setTimeout(() => killNow(managed), graceMs);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
  running.add(managed);
  return managed;
}

/** Kills every child still running; use in `test.after` / `test.after.each`. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...running].map((managed) => managed.kill()));
}

/** Whether a process with this pid is running; a zombie (exited, not yet reaped) counts as gone. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
