import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = path.join(ROOT, 'bench', 'load', 'handshake-flood.c');
const BINARY = path.join(ROOT, 'node_modules', '.cache', 'wsmesh-bench', 'handshake-flood');

/**
 * The C load generator of the handshakes/s figure (bench/load/handshake-flood.c), compiled with the system's
 * `cc` when its source is newer than the binary. Returns the binary's path, or why it is unavailable (the
 * figure then comes from the Node load generators, which spend more CPU per connection than the servers).
 */
export function buildHandshakeFlood(): { path: string } | { unavailable: string } {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return { path: BINARY };
  mkdirSync(path.dirname(BINARY), { recursive: true });
  const compiled = spawnSync('cc', ['-O2', '-o', BINARY, SOURCE], { encoding: 'utf8' });
  if (compiled.error) return { unavailable: `no C compiler (cc: ${compiled.error.message})` };
  if (compiled.status !== 0) return { unavailable: `cc failed: ${compiled.stderr.trim().split('\n')[0]}` };
  return { path: BINARY };
}
