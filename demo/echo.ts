/**
 * Echo demo, both roles of the same codec:
 *
 *   npx tsx demo/echo.ts --listen PORT [--host 127.0.0.1]   echo server; prints "listening on ws://HOST:PORT"
 *   npx tsx demo/echo.ts --connect URL                     client that echoes what the server sends, until it closes
 *
 * Every message goes back with its type (text as text, binary as binary). Exit codes: 0 after a clean close
 * (or Ctrl-C), 1 when the handshake, the listen or the connection fails (reason on stderr), 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { parseWsUrl } from '../src/handshake/client-handshake.ts';
import { connect } from '../src/transport/connect.ts';
import { WebSocketServer } from '../src/transport/server.ts';
import type { WebSocket } from '../src/transport/websocket.ts';

const USAGE = `usage: npx tsx demo/echo.ts --listen PORT [--host HOST] [--verbose]
       npx tsx demo/echo.ts --connect URL [--verbose]
  --listen PORT   run an echo server on PORT (0: any free port)
  --host HOST     address to listen on (default 127.0.0.1)
  --connect URL   connect to a ws:// URL and echo every message until the server closes
  --verbose       print a line for every message`;

type Mode = { kind: 'listen'; port: number; host: string } | { kind: 'connect'; url: string };

function usageError(message: string): never {
  process.stderr.write(`echo: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCommandLine(argv: string[]): { mode: Mode; verbose: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        listen: { type: 'string' },
        host: { type: 'string' },
        connect: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const verbose = values.verbose ?? false;
  if (values.listen !== undefined && values.connect !== undefined) usageError('use either --listen or --connect, not both');
  if (values.listen !== undefined) {
    if (!/^\d{1,5}$/.test(values.listen) || Number(values.listen) > 65535) {
      usageError(`--listen needs a port number from 0 to 65535, got "${values.listen}"`);
    }
    return { mode: { kind: 'listen', port: Number(values.listen), host: values.host ?? '127.0.0.1' }, verbose };
  }
  if (values.connect !== undefined) {
    if (values.host !== undefined) usageError('--host is for --listen; put the host in the --connect URL');
    try {
      parseWsUrl(values.connect);
    } catch (error) {
      usageError((error as Error).message);
    }
    return { mode: { kind: 'connect', url: values.connect }, verbose };
  }
  usageError('missing --listen PORT or --connect URL');
}

function echoMessages(ws: WebSocket, verbose: boolean): void {
  ws.on('message', (data, isBinary) => {
    if (verbose) console.log(`echo ${isBinary ? 'binary' : 'text'} (${Buffer.byteLength(data)} bytes)`);
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', (error) => console.error(`echo: ${error.message}`));
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function listen(port: number, host: string, verbose: boolean): Promise<void> {
  const server = new WebSocketServer({ port, host });
  server.on('connection', (ws, request) => {
    const peer = `${request.remoteAddress}:${request.remotePort}`;
    console.log(`connection from ${peer} ${request.path}`);
    echoMessages(ws, verbose);
    ws.on('close', (code, reason, wasClean) => {
      console.log(`${peer} closed: ${code} ${JSON.stringify(reason)}${wasClean ? '' : ' (not clean)'}`);
    });
  });
  server.on('error', (error) => console.error(`echo: ${error.message}`));
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    console.error(`echo: cannot listen on ${host}:${port}: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`listening on ws://${hostForUrl(host)}:${address.port}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function connectAndEcho(url: string, verbose: boolean): Promise<void> {
  let ws: WebSocket;
  try {
    ws = await connect(url);
  } catch (error) {
    console.error(`echo: cannot connect to ${url}: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`connected to ${url}`);
  echoMessages(ws, verbose);
  ws.on('close', (code, reason, wasClean) => {
    if (wasClean) {
      console.log(`closed: ${code} ${JSON.stringify(reason)}`);
      process.exit(0);
    }
    console.error(`echo: connection to ${url} ended without a clean close: ${code} ${JSON.stringify(reason)}`);
    process.exit(1);
  });
  const stop = () => ws.close(1001, 'going away');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const { mode, verbose } = parseCommandLine(process.argv.slice(2));
if (mode.kind === 'listen') await listen(mode.port, mode.host, verbose);
else await connectAndEcho(mode.url, verbose);
