// Feeds one byte stream to a fresh Protocol in many chunkings and checks they all agree.
import * as assert from 'uvu/assert';
import type { ProtocolOptions } from '../../../src/protocol/protocol.ts';
import { createProtocol, writtenFrames } from '../../conformance/support/harness.ts';
import type { Role } from '../../conformance/support/wire.ts';

export interface Fed {
  events: string[];
  written: string[];
  problems: string[];
}

/** Feeds `chunks` (copied: receive() owns its chunks) to a new Protocol and records what comes out. */
export function feed(role: Role, chunks: Buffer[], options: Partial<ProtocolOptions> = {}): Fed {
  const { protocol, recorder, masks } = createProtocol(role, options);
  for (const chunk of chunks) protocol.receive(Buffer.from(chunk));
  const { written, problems } = writtenFrames(recorder, role, masks);
  return { events: recorder.events, written, problems: [...recorder.problems, ...problems] };
}

/** The stream in one chunk, one byte at a time, and cut in two at every offset: all must give `events`/`written`. */
export function feedEverySplit(role: Role, stream: Buffer, events: string[], written: string[], options: Partial<ProtocolOptions> = {}): void {
  const expected: Fed = { events, written, problems: [] };
  assert.equal(feed(role, [stream], options), expected, `${role}: one chunk`);
  assert.equal(feed(role, [...stream].map((byte) => Buffer.of(byte)), options), expected, `${role}: one byte at a time`);
  for (let cut = 1; cut < stream.length; cut++) {
    const outcome = feed(role, [stream.subarray(0, cut), stream.subarray(cut)], options);
    // assert.equal on every cut would be slow for 64 KiB streams; compare cheaply, report with a diff on mismatch.
    if (JSON.stringify(outcome) !== JSON.stringify(expected)) assert.equal(outcome, expected, `${role}: cut at ${cut}`);
  }
}
