import { LOOPBACK } from '../../helpers/ports.ts';
import { spawnManaged } from '../../helpers/processes.ts';
import { SYSTEM_PYTHON, peerScript } from '../../helpers/python.ts';
import { CloseLog } from './echo-server-under-test.ts';
import type { EchoServerUnderTest } from './echo-server-under-test.ts';

interface ServerEvent {
  event: string;
  port?: number;
  websockets?: string;
  path?: string;
  code?: number;
  reason?: string;
}

/** test/peers/echo_server.py (python3-websockets) as a child process; killed by stop() or on exit. */
export async function startPythonEchoServer(): Promise<EchoServerUnderTest> {
  const closes = new CloseLog();
  const server = spawnManaged(SYSTEM_PYTHON, [peerScript('echo_server.py'), '--host', LOOPBACK, '--exit-on-stdin-eof']);
  server.onLine((line) => {
    const event = JSON.parse(line) as ServerEvent;
    if (event.event === 'closed') closes.record(event.path ?? '', { code: event.code!, reason: event.reason! });
  });
  const ready = JSON.parse((await server.waitForLine(/"event": "listening"/)).input!) as ServerEvent;
  return {
    name: `python3-websockets ${ready.websockets}`,
    url: (path) => `ws://${LOOPBACK}:${ready.port}${path}`,
    closeSeen: (path) => closes.get(path),
    stop: async () => {
      await server.kill();
    },
  };
}
