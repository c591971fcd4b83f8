import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ProtocolModule from '../../src/protocol/protocol.ts';
import { chunkedFrames } from '../codec/frames.ts';
import { argument, caseArgument, interleavedAB, median } from './ab-rounds.ts';

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

const [buildA, buildB] = process.argv.slice(2, 4);
if (!buildA || !buildB) throw new Error('usage: ab-parse.ts BUILD_A BUILD_B [--rounds N] [--ms MS]');
const rounds = argument('rounds', 15);
const ms = argument('ms', 150);
const caseFilter = caseArgument();
console.log(`A = ${buildA}\nB = ${buildB}\n${rounds} interleaved rounds of ${ms} ms each; 64 KiB chunks; text has 2-byte characters\n`);
console.log('| case | A MB/s | B MB/s | B/A (spread of rounds) |\n| --- | --- | --- | --- |');
for (const [size, binary] of [[16, false], [16, true], [KiB, false], [16 * KiB, false], [64 * KiB, false], [1024 * KiB, false], [64 * KiB, true]] as const) {
  const label = `parse ${binary ? 'binary' : 'text'} ${size >= 1024 * KiB ? `${size / 1024 / KiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`}`;
  if (caseFilter !== undefined && !label.includes(caseFilter)) continue;
  const a = await parser(buildA, size, binary);
  const b = await parser(buildB, size, binary);
  const { ratesA, ratesB, ratios } = interleavedAB(a, b, rounds, ms);
  const mb = (rate: number) => (rate / 1e6).toFixed(0);
  console.log(`| ${label} | ${mb(median(ratesA))} | ${mb(median(ratesB))} | ${median(ratios).toFixed(3)}x (${ratios[0]!.toFixed(2)}-${ratios.at(-1)!.toFixed(2)}) |`);
}
