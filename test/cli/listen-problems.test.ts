// A port that cannot be bound: exit 1 with one line that says why and what to do, the host written as a URL
// writes it (`[::]:7447`, not `:::7447`), and no stack trace.
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ManagedProcess } from '../helpers/processes.ts';
import { closeServer } from '../helpers/ports.ts';
import { spawnCli } from '../mesh/support.ts';

const children = new Set<ManagedProcess>();
test.after.each(async () => {
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
});

async function busyPort(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as { port: number }).port, close: () => closeServer(server) };
}

for (const host of ['127.0.0.1', '::1']) {
  test(`a port in use on ${host}: exit 1, the problem and the way out in one line`, async () => {
    const busy = await busyPort(host);
    try {
      const child = spawnCli(['--host', host, '--port', String(busy.port)]);
      children.add(child);
      const status = await child.exited;
      const where = host.includes(':') ? `[${host}]:${busy.port}` : `${host}:${busy.port}`;
      assert.is(status.code, 1);
      assert.is(child.stderr(), `wsmesh: cannot listen on ${where}: the port is in use (another wsmesh node? choose one with --port, or --port 0 for any free port)\n`);
    } finally {
      await busy.close();
    }
  });
}

test.run();
