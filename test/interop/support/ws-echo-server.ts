import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type { WebSocket as WsSocket } from 'ws';
import { PONG_REPLY, parseEchoCommand } from '../../helpers/echo-commands.ts';
import type { EchoCommand } from '../../helpers/echo-commands.ts';
import { LOOPBACK } from '../../helpers/ports.ts';
import { PING_BETWEEN_FRAGMENTS, fragmentsOf } from './echo-fixtures.ts';
import { CloseLog } from './echo-server-under-test.ts';
import type { EchoServerUnderTest } from './echo-server-under-test.ts';

const MAX_PAYLOAD = 32 * 1024 * 1024;

function runCommand(ws: WsSocket, command: EchoCommand): void {
  switch (command.kind) {
    case 'close':
      ws.close(command.code, command.reason);
      return;
    case 'ping':
      ws.once('pong', (payload: Buffer) => ws.send(`${PONG_REPLY} ${payload.toString('utf8')}`));
      ws.ping(command.payload);
      return;
    case 'fragmented': {
      const fragments = fragmentsOf(command.type);
      fragments.forEach((fragment, index) => {
        ws.send(fragment, { binary: command.type === 'binary', fin: index === fragments.length - 1 });
        if (command.type === 'binary' && index === 0) ws.ping(PING_BETWEEN_FRAGMENTS);
      });
      return;
    }
  }
}

/** An echo server written with the `ws` package, understanding the commands of echo-commands.ts. */
export async function startWsEchoServer(): Promise<EchoServerUnderTest> {
  const closes = new CloseLog();
  const server = new WebSocketServer({ host: LOOPBACK, port: 0, maxPayload: MAX_PAYLOAD });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (ws, request) => {
    const path = request.url ?? '';
    ws.on('error', () => {}); // a failed connection is reported through 'close'
    ws.on('close', (code, reason) => closes.record(path, { code, reason: reason.toString('utf8') }));
    ws.on('message', (data: Buffer, isBinary) => {
      const command = isBinary ? null : parseEchoCommand(data.toString('utf8'));
      if (command) runCommand(ws, command);
      else ws.send(data, { binary: isBinary });
    });
  });
  const { port } = server.address() as AddressInfo;
  const version = (await import('ws/package.json', { with: { type: 'json' } })).default.version;
  return {
    name: `ws ${version}`,
    url: (path) => `ws://${LOOPBACK}:${port}${path}`,
    closeSeen: (path) => closes.get(path),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
