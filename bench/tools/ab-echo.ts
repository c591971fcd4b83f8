import path from 'node:path';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type * as WebSocketModule from '../../src/transport/websocket.ts';
import { chunkedFrames } from '../codec/frames.ts';
import { runAB } from './ab-rounds.ts';

/**
 * A/B of a server-role echo through the whole WebSocket (codec, send, corking; no system calls) in two builds,
 * interleaved in one process: masked client frames are pushed into an in-memory socket in 64 KiB chunks, a
 * 'message' listener sends each message back (text with textAsBuffer, as the echo bench does), the socket's
 * write side discards. Rates are messages per second of this process's CPU time (steady on a loaded machine):
 *   npx tsx bench/tools/ab-echo.ts BUILD_A BUILD_B [--rounds 15] [--ms 150] [--case 'text 1 KiB']
 * BUILD_* are `tsc -p tsconfig.build.json --outDir DIR` trees (under a node_modules directory).
 */

const KiB = 1024;

async function echoPass(build: string, size: number, binary: boolean): Promise<() => number> {
  const { WebSocket } = (await import(pathToFileURL(path.join(path.resolve(build), 'transport/websocket.js')).href)) as typeof WebSocketModule;
  const { frameCount, pristine, input, chunks } = chunkedFrames(size, binary);
  let written = 0;
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      written++;
      callback();
    },
    writev(list, callback) {
      written += list.length;
      callback();
    },
  });
  const ws = new WebSocket(socket, { role: 'server', textAsBuffer: true, maxPayload: 64 * 1024 * 1024 });
  let messages = 0;
  ws.on('message', function (this: typeof ws, data, isBinary) {
    messages++;
    this.send(data, { binary: isBinary });
  });
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return () => {
    pristine.copy(input);
    messages = 0;
    written = 0;
    const started = process.cpuUsage();
    for (const chunk of chunks) socket.push(chunk);
    const used = process.cpuUsage(started);
    if (messages !== frameCount) throw new Error(`echoed ${messages} of ${frameCount} messages`);
    return frameCount / ((used.user + used.system) / 1e6);
  };
}

await runAB({
  name: 'ab-echo.ts',
  verb: 'echo',
  unit: 'msgs/CPU s',
  format: (value) => (value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(1)}k`),
  cases: [[16, true], [16, false], [KiB, true], [KiB, false], [8 * KiB, true], [16 * KiB, false], [64 * KiB, true], [64 * KiB, false], [1024 * KiB, true], [1024 * KiB, false]],
  pass: echoPass,
});
