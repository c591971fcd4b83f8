import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python: its packages (python3-websockets, python3-zeroconf) are invisible to other pythons. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export const PEERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../peers');

/** Version of a module importable by /usr/bin/python3 (`module.__version__`), or null when it is missing. */
export function pythonModuleVersion(module: string): string | null {
  const result = spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}; print(${module}.__version__)`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** Path of a script in test/peers/. */
export function peerScript(name: string): string {
  return path.join(PEERS_DIR, name);
}
