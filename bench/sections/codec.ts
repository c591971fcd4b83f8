import { fileURLToPath } from 'node:url';
import { BenchChild, startChild } from '../lib/children.ts';
import type { BenchConfig } from '../lib/config.ts';
import { formatCount, formatNumber, formatRatio, formatSize } from '../lib/format.ts';
import { interleave } from '../lib/rounds.ts';
import { median, ratioSpread } from '../lib/stats.ts';
import type { Table } from '../lib/table.ts';
import { FRAME_CONTENDERS } from '../codec/frames.ts';
import { MASK_CONTENDERS, type MaskOperation } from '../codec/masking.ts';
import type { Rate } from '../codec/timing.ts';

/**
 * Codec micro-benchmarks. Each contender runs in its own process (pinned to the server CPU) so that one
 * contender's code never makes another's call sites polymorphic.
 */

const workerScript = fileURLToPath(new URL('../codec/codec-worker.ts', import.meta.url));

type Workers = Map<string, BenchChild>;

async function startWorkers(names: readonly string[], cpu: string): Promise<Workers> {
  const started = await Promise.all(names.map((name) => startChild({ script: workerScript, args: [name], cpu })));
  return new Map(started.map(({ child }, index) => [names[index]!, child]));
}

function gbps(rates: Rate[]): string {
  return formatNumber(median(rates.map((rate) => rate.bytesPerSec / 1e9)), 2);
}

async function maskingTable(config: BenchConfig, workers: Workers, operation: MaskOperation): Promise<Table> {
  const rows: string[][] = [];
    for (const size of config.codec.maskSizes) {
      const results = await interleave(MASK_CONTENDERS, config.rounds, (contender) =>
        workers.get(contender)!.request<Rate>('mask', { contender, operation, size, ms: config.codec.measureMs }),
      );
      const bytes = (name: string) => results.get(name)!.map((rate) => rate.bytesPerSec);
      rows.push([
        formatSize(size),
        ...MASK_CONTENDERS.map((contender) => gbps(results.get(contender)!)),
        formatRatio(ratioSpread(bytes('ours'), bytes('bufferutil'))),
        formatRatio(ratioSpread(bytes('ours'), bytes('JS loop'))),
        formatRatio(ratioSpread(bytes('wasm kernel'), bytes('JS loop'))),
      ]);
    }
    const what = operation === 'unmask' ? 'unmask in place (receiving)' : 'mask into a new buffer (sending)';
    return {
      title: `Masking GB/s: ${what}`,
      headers: ['size', ...MASK_CONTENDERS.map((name) => `${name} GB/s`), 'ours vs bufferutil', 'ours vs JS loop', 'wasm vs JS loop'],
      rows,
      notes: [
        `ours = src/protocol/mask.ts as exported (the JS loop below its cut-over, the WebAssembly kernel from there up); JS loop = its 8-way unrolled 32-bit word loop alone; ` +
          `wasm kernel = src/protocol/mask.wat (128-bit SIMD) alone, the bytes copied into its memory and back in 16 KiB blocks; byte loop = \`data[i] ^= key[i & 3]\`; ` +
          `bufferutil = native prebuild called directly; Buffer.copy = memcpy of the same bytes (the limit). ` +
          `Medians of ${config.rounds} interleaved rounds of ${config.codec.measureMs} ms, each contender in its own process on CPU ${config.serverCpu}. Target: ours >= 0.8x bufferutil at 64 KiB and 1 MiB, >= 1.0x the JS loop at every size.`,
      ],
    };
}

interface FrameCase {
  label: string;
  command: 'parse' | 'encode';
  payload: Record<string, unknown>;
}

function frameCases(config: BenchConfig): FrameCase[] {
  const cases: FrameCase[] = [];
  const sizes = config.codec.frameSizes;
  for (const size of sizes) cases.push({ label: `parse binary ${formatSize(size)}`, command: 'parse', payload: { size, binary: true } });
  for (const size of sizes.filter((size) => size >= 1024 && size <= 64 * 1024)) {
    cases.push({ label: `parse text ${formatSize(size)}`, command: 'parse', payload: { size, binary: false } });
    cases.push({ label: `parse text ${formatSize(size)}, textAsBuffer`, command: 'parse', payload: { size, binary: false, textAsBuffer: true } });
  }
  for (const role of ['server', 'client'] as const) {
    for (const size of sizes) {
      cases.push({ label: `encode binary ${formatSize(size)}, ${role}${role === 'client' ? ' (masks)' : ''}`, command: 'encode', payload: { role, size, binary: true } });
    }
  }
  for (const size of sizes.filter((size) => size === 1024)) {
    cases.push({ label: `encode text ${formatSize(size)}, server`, command: 'encode', payload: { role: 'server', size, binary: false } });
  }
  return cases;
}

async function framesTable(config: BenchConfig, workers: Workers): Promise<Table> {
  const rows: string[][] = [];
    for (const frameCase of frameCases(config)) {
      const results = await interleave(FRAME_CONTENDERS, config.rounds, (contender) =>
        workers.get(contender)!.request<Rate>(frameCase.command, { contender, ...frameCase.payload, ms: config.codec.measureMs }),
      );
      const ours = results.get('ours')!;
      const ws = results.get('ws')!;
      rows.push([
        frameCase.label,
        gbps(ours),
        formatCount(median(ours.map((rate) => rate.unitsPerSec))),
        gbps(ws),
        formatCount(median(ws.map((rate) => rate.unitsPerSec))),
        formatRatio(ratioSpread(ours.map((rate) => rate.unitsPerSec), ws.map((rate) => rate.unitsPerSec))),
      ]);
    }
    return {
      title: 'Frame parsing and encoding (no sockets)',
      headers: ['case', 'ours GB/s', 'ours frames/s', 'ws GB/s', 'ws frames/s', 'ours vs ws'],
      rows,
      notes: [
        'parse: masked client frames fed in 64 KiB chunks to a server-role Protocol.receive (ours) or ws Receiver.write, counting message events ' +
          '(ours decodes text to a string by default - V8 builds a two-byte string at about 0.4 GB/s for this non-ASCII text, whatever the API - or hands it out as a validated Buffer with textAsBuffer; ws always hands text out as a validated Buffer). encode: Protocol.sendBinary/sendText vs ws Sender.send into a byte-counting sink; ' +
          `client role masks (ws with bufferutil). For unmasked text ws passes the string to socket.write, which encodes it; that encoding is not timed here. GB/s counts payload bytes; unmasked payloads above 16 KiB are passed on by reference by both libraries (no copy), so their GB/s only reflects per-frame overhead. Small unmasked frames: ours copies header and payload into one buffer (one write), ws returns two buffers (one writev) - the copy shows here, the saved syscall does not. Medians of ${config.rounds} interleaved rounds of ${config.codec.measureMs} ms.`,
      ],
    };
}

export async function runCodecSection(config: BenchConfig): Promise<Table[]> {
  const workers = await startWorkers([...new Set([...MASK_CONTENDERS, ...FRAME_CONTENDERS])], config.serverCpu);
  try {
    return [await maskingTable(config, workers, 'unmask'), await maskingTable(config, workers, 'mask'), await framesTable(config, workers)];
  } finally {
    await Promise.all([...workers.values()].map((worker) => worker.stop()));
  }
}
