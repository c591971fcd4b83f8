import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateIdentity } from '../../src/mesh/identity-file.ts';
import { spawnManaged } from '../helpers/processes.ts';
import type { ManagedProcess } from '../helpers/processes.ts';
import { createNode } from '../../src/node.ts';
import type { MeshNode } from '../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../src/mesh/options.ts';

/** Short intervals for tests over loopback (never asserted as speeds). */
export const FAST: MeshNodeOptions = {
  host: '127.0.0.1',
  ephemeralIdentity: true,
  mdns: false,
  pingInterval: 200,
  pingTimeout: 400,
  reconnect: { min: 50, max: 1000, jitter: 0.2 },
};

const started = new Set<MeshNode>();

/** Starts an in-process node on 127.0.0.1; `stopAllNodes()` stops every one of them. */
export async function startNode(options: MeshNodeOptions = {}): Promise<MeshNode> {
  const node = createNode({ ...FAST, ...options });
  started.add(node);
  await node.start();
  return node;
}

export async function stopAllNodes(): Promise<void> {
  const nodes = [...started];
  started.clear();
  await Promise.all(nodes.map((node) => node.stop()));
}

/** Polls `check` until it holds (rejects if it throws); a guard against hangs, not a speed assertion. */
export function waitFor(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise<void>((resolve, reject) => {
    const poll = () => {
      try {
        if (check()) return resolve();
      } catch (error) {
        return reject(error);
      }
      if (Date.now() > deadline) return reject(new Error(`waiting until ${what}: timed out after ${ms} ms`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

export function connectedIds(node: MeshNode): string[] {
  return node
    .peers()
    .filter((peer) => peer.state === 'connected')
    .map((peer) => peer.id)
    .sort();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Directories of tempKeyFile(), removed when the test process exits (tests leave no temp files behind). */
const keyDirs = new Set<string>();

/**
 * A new identity key file in a fresh temporary directory (under the OS temp dir, removed when the test process exits) and the id it
 * gives: for processes that must keep their id across a restart (`--key-file`).
 */
export function tempKeyFile(): { keyFile: string; id: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsmesh-key-'));
  if (keyDirs.size === 0) process.once('exit', () => keyDirs.forEach((each) => rmSync(each, { recursive: true, force: true })));
  keyDirs.add(dir);
  const keyFile = path.join(dir, 'identity.key');
  return { keyFile, id: loadOrCreateIdentity(keyFile).id };
}

/** The repository root, where child processes run `src/cli/main.ts`. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts the real CLI (port 0 unless `args` name one; a later option wins) as a single node process (`node --import tsx`, no tsx wrapper process, so that
 * signals reach the node itself). Killed by the shared helper when the test process exits.
 */
export function spawnCli(args: string[]): ManagedProcess {
  const identity = args.includes('--key-file') ? [] : ['--ephemeral-key'];
  return spawnManaged(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', '127.0.0.1', '--port', '0', '--no-mdns', ...identity, ...args], { cwd: ROOT });
}

export interface CliEvent {
  event: string;
  [field: string]: any;
}

/** The JSON events a `--json` CLI printed so far. */
export function cliEvents(cli: ManagedProcess): CliEvent[] {
  return cli.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as CliEvent);
}

/** Waits for the first event (after `from` events) that satisfies `match`; fails if the process exits first. */
export async function waitForEvent(cli: ManagedProcess, match: (event: CliEvent) => boolean, what: string, from = 0, ms = 20_000): Promise<CliEvent> {
  let exited = false;
  void cli.exited.then(() => (exited = true));
  let found: CliEvent | undefined;
  await waitFor(() => {
    if (exited) throw new Error(`the CLI exited while ${what}; stderr:\n${cli.stderr()}`);
    found = cliEvents(cli).slice(from).find(match);
    return found !== undefined;
  }, what, ms);
  return found!;
}

/** Ids of the peers a `--json` CLI reported connected and not since disconnected. */
export function cliConnected(cli: ManagedProcess): string[] {
  const connected = new Set<string>();
  for (const event of cliEvents(cli)) {
    if (event.event === 'peer:connected') connected.add(event.peer.id);
    if (event.event === 'peer:disconnected') connected.delete(event.peer.id);
  }
  return [...connected].sort();
}
