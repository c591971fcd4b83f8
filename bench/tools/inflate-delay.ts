import { fork } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildOurs, importOurs, oursOrigin } from '../lib/ours.ts';

/**
 * Event-loop delay of our server while large compressed messages arrive (issue 11):
 *   npx tsx bench/tools/inflate-delay.ts [--messages 8] [--size 16000000] [--strings]
 * Our WebSocketServer (permessage-deflate on) runs in this process; a `ws` client in a child process sends
 * `messages` JSON-like text messages of `size` bytes, compressed (about 8:1). perf_hooks.monitorEventLoopDelay
 * (1 ms resolution) runs from the first message to the last; the line gives its max, p99 and p50. Text is
 * delivered as bytes (textAsBuffer) so that the delay measured is the inflation's: decoding a 16 MB string
 * costs tens of ms more, whatever the library (--strings delivers strings). With WSMESH_BENCH_BUILD=<dir> a
 * prebuilt tree is measured instead of a fresh build (A/B runs).
 */

const MiB = 1024 * 1024;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

if (process.argv[2] === '--client') {
  // Child: the sender. `ws` compresses in the thread pool, so this process only pays for the JSON text.
  const { default: WS } = await import('ws');
  const [url, count, size] = [process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])];
  let text = '';
  for (let i = 0; text.length < size; i++) text += JSON.stringify({ i, name: `sensor-${i % 50}`, ok: i % 3 === 0, value: (i * 7919) % 1000 });
  text = text.slice(0, size);
  const client = new WS(url, { perMessageDeflate: { threshold: 0, zlibDeflateOptions: { level: 1 } }, maxPayload: 64 * MiB });
  await once(client, 'open');
  for (let i = 0; i < count; i++) client.send(text);
  client.on('message', () => client.close(1000));
} else {
  const messages = argument('messages', 8);
  const size = argument('size', 16_000_000);
  const textAsBuffer = !process.argv.includes('--strings');
  const buildProblem = buildOurs();
  const { WebSocketServer } = (await importOurs('transport/server')) as typeof import('../../src/transport/server.ts');
  const server = new WebSocketServer({ host: '127.0.0.1', perMessageDeflate: true, maxPayload: 32 * MiB, textAsBuffer });
  const { port } = await server.listen();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let received = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        if (received === 0) {
          started = performance.now();
          histogram.enable();
        }
        if (data.length !== size) throw new Error(`message of ${data.length} bytes or characters, expected ${size}`);
        if (++received === messages) {
          histogram.disable();
          resolve(performance.now() - started);
          ws.send('done');
        }
      });
    });
  });
  const child = fork(fileURLToPath(import.meta.url), ['--client', `ws://127.0.0.1:${port}/`, String(messages), String(size)], {
    execArgv: ['--import', 'tsx'],
  });
  const elapsed = await done;
  await once(child, 'exit');
  await server.close();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.log(`wsmesh ${oursOrigin()}${buildProblem ? ` (${buildProblem})` : ''}${process.env.WSMESH_BENCH_BUILD ? `: ${process.env.WSMESH_BENCH_BUILD}` : ''}`);
  console.log(`${messages} compressed text messages of ${size} bytes, delivered as ${textAsBuffer ? 'bytes' : 'strings'}: event-loop delay max ${ms(histogram.max)} ms, p99 ${ms(histogram.percentile(99))} ms, p50 ${ms(histogram.percentile(50))} ms; first to last message ${elapsed.toFixed(0)} ms`);
}
