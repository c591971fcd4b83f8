import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ProtocolModule from '../../src/protocol/protocol.ts';
import { chunkedFrames } from '../codec/frames.ts';
import { runAB } from './ab-rounds.ts';

/**
 * A/B of the server-role parser (Protocol.receive) of two builds, interleaved in one process, for text and
 * binary frames fed in 64 KiB chunks (as bench `parse` does: frames of 64 KiB and more arrive in pieces):
 *   npx tsx bench/tools/ab-parse.ts BUILD_A BUILD_B [--rounds 15] [--ms 150] [--case 'binary 16 B']
 * BUILD_* are `tsc -p tsconfig.build.json --outDir DIR` trees (keep them under a node_modules directory so
 * that tsx leaves them alone). Prints the median MB/s of each and B/A with the spread of the round ratios.
 * Rates are per second of this process's CPU time (process.cpuUsage), not wall time: on a loaded machine
 * the time spent descheduled would otherwise dominate.
 */

const KiB = 1024;

async function parser(build: string, size: number, binary: boolean): Promise<() => number> {
  const { Protocol } = (await import(pathToFileURL(path.join(path.resolve(build), 'protocol/protocol.js')).href)) as typeof ProtocolModule;
  const { frameCount, pristine, input, chunks } = chunkedFrames(size, binary);
  let messages = 0;
  const ignore = () => {};
  const protocol = new Protocol(
    { role: 'server', maxPayload: 64 * 1024 * 1024 },
    { write: ignore, message: () => messages++, ping: ignore, pong: ignore, closeFrame: ignore, protocolError: (error) => { throw error; } },
  );
  /** One pass: the payload bytes parsed per CPU second. */
  return () => {
    pristine.copy(input);
    messages = 0;
    const started = process.cpuUsage();
    for (const chunk of chunks) protocol.receive(chunk);
    const used = process.cpuUsage(started);
    const seconds = (used.user + used.system) / 1e6;
    if (messages !== frameCount) throw new Error(`parsed ${messages} of ${frameCount} frames`);
    return (frameCount * size) / seconds;
  };
}

await runAB({
  name: 'ab-parse.ts',
  verb: 'parse',
  unit: 'MB/s',
  format: (rate) => (rate / 1e6).toFixed(0),
  cases: [[16, false], [16, true], [KiB, false], [16 * KiB, false], [64 * KiB, false], [1024 * KiB, false], [64 * KiB, true]],
  pass: parser,
});
