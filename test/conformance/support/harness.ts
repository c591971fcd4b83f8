// Runs conformance cases against the sans-I/O Protocol in one role, feeding the peer's bytes in
// several chunkings; every chunking must give the same events and the same written frames.
import { Protocol } from '../../../src/protocol/protocol.ts';
import type { ProtocolHandler, ProtocolOptions } from '../../../src/protocol/protocol.ts';
import { WsProtocolError } from '../../../src/protocol/errors.ts';
import type { ConformanceCase } from './cases.ts';
import { describeBytes, MaskSequence, peerFrame, peerFrameHeader, readWrittenFrames } from './wire.ts';
import type { Role } from './wire.ts';

export interface Outcome {
  events: string[];
  written: string[];
  state: string;
  /** Contract violations seen while running: wrong masking, a crash, a close frame missing before an error, ... */
  problems: string[];
}

type Segment = { bytes: Buffer } | { act: (protocol: Protocol) => void };

/** Splits a segment's bytes into the chunks handed to `receive`. */
export type Chunker = (bytes: Buffer) => Buffer[];

export interface FeedMode {
  name: string;
  segments: Segment[];
  chunker: Chunker;
}

// Larger inputs fed byte by byte only measure the parser's per-chunk cost; test/protocol feeds 64 KiB that way.
const BYTEWISE_LIMIT = 16_384;
const EVERY_SPLIT_LIMIT = 300;

/** The peer's bytes grouped between the endpoint's own actions; each step's bytes stay a separate segment. */
export function segmentsOf(testCase: ConformanceCase, role: Role): Segment[] {
  return testCase.steps.map((step) => {
    if ('act' in step) return { act: step.act };
    if ('send' in step) return { bytes: peerFrame(step.send, role) };
    return { bytes: peerFrameHeader(step.sendHeader, role) };
  });
}

function peerBytes(segments: Segment[]): number {
  return segments.reduce((sum, segment) => sum + ('bytes' in segment ? segment.bytes.length : 0), 0);
}

/** Consecutive byte segments merged, so that a chunking can cut across frame boundaries. */
function mergeBytes(segments: Segment[]): Segment[] {
  const merged: Segment[] = [];
  let run: Buffer[] = [];
  const endRun = () => {
    if (run.length > 0) merged.push({ bytes: Buffer.concat(run) });
    run = [];
  };
  for (const segment of segments) {
    if ('bytes' in segment) {
      run.push(segment.bytes);
    } else {
      endRun();
      merged.push(segment);
    }
  }
  endRun();
  return merged;
}

/** The chunkings a case is fed in: whole, frame by frame, byte by byte, and cut at every offset when small. */
export function feedModes(testCase: ConformanceCase, role: Role): FeedMode[] {
  const perStep = segmentsOf(testCase, role);
  const merged = mergeBytes(perStep);
  const total = peerBytes(perStep);
  const modes: FeedMode[] = [
    { name: 'one chunk', segments: merged, chunker: (bytes) => [bytes] },
    { name: 'frame by frame', segments: perStep, chunker: (bytes) => [bytes] },
  ];
  if (total <= BYTEWISE_LIMIT) {
    modes.push({ name: 'byte by byte', segments: merged, chunker: (bytes) => [...bytes].map((byte) => Buffer.of(byte)) });
  }
  if (total <= EVERY_SPLIT_LIMIT) {
    for (let cut = 1; cut < total; cut++) {
      modes.push({ name: `cut at ${cut}`, segments: merged, chunker: cutAt(cut) });
    }
  }
  return modes;
}

/** Cuts the bytes at `offset` (counted over all segments of the run). */
function cutAt(offset: number): Chunker {
  let seen = 0;
  return (bytes) => {
    const start = seen;
    seen += bytes.length;
    if (offset <= start || offset >= seen) return [bytes];
    return [bytes.subarray(0, offset - start), bytes.subarray(offset - start)];
  };
}

/** A ProtocolHandler that records events as the strings `ev` builds, plus the written bytes. */
export class Recorder implements ProtocolHandler {
  readonly events: string[] = [];
  readonly problems: string[] = [];
  readonly chunks: Buffer[] = [];

  constructor(private readonly role: Role) {}

  write(chunk: Buffer): void {
    if (!Buffer.isBuffer(chunk)) this.problems.push('write() was given something that is not a Buffer');
    this.chunks.push(Buffer.from(chunk));
  }
  message(data: string | Buffer, isBinary: boolean): void {
    if (isBinary !== Buffer.isBuffer(data)) this.problems.push(`message isBinary=${isBinary} but data is a ${typeof data}`);
    if (typeof data === 'string') {
      const bytes = Buffer.from(data, 'utf8');
      this.events.push(bytes.length <= 200 ? `text ${JSON.stringify(data)}` : `text ${describeBytes(bytes)}`);
    } else {
      this.events.push(`binary ${data.length === 0 ? '(empty)' : describeBytes(data)}`);
    }
  }
  ping(payload: Buffer): void {
    this.events.push(`ping ${payload.length === 0 ? '(empty)' : describeBytes(payload)}`);
  }
  pong(payload: Buffer): void {
    this.events.push(`pong ${payload.length === 0 ? '(empty)' : describeBytes(payload)}`);
  }
  closeFrame(code: number, reason: string): void {
    this.events.push(`close ${code} ${JSON.stringify(reason)}`);
  }
  protocolError(error: WsProtocolError): void {
    this.events.push(`error ${error.code}`);
    if (!(error instanceof WsProtocolError)) this.problems.push('protocolError() was given something that is not a WsProtocolError');
    if (!error.message) this.problems.push(`WsProtocolError ${error.code} has no message`);
    const { frames } = readWrittenFrames(Buffer.concat(this.chunks), this.role);
    const last = frames[frames.length - 1];
    if (!last || last.opcode !== 0x8) this.problems.push(`protocolError(${error.code}) reported before a close frame was written`);
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function createProtocol(role: Role, options: Partial<ProtocolOptions> = {}) {
  const masks = new MaskSequence();
  const recorder = new Recorder(role);
  const protocol = new Protocol({ role, generateMask: masks.next, ...options }, recorder);
  return { protocol, recorder, masks };
}

/** The frames a recorder saw, described, plus masking problems (fresh key per client frame, none from a server). */
export function writtenFrames(recorder: Recorder, role: Role, masks: MaskSequence): { written: string[]; problems: string[] } {
  const { frames, problems } = readWrittenFrames(recorder.bytes, role);
  if (role === 'client') {
    const used = frames.map((frame) => frame.maskKey?.toString('hex')).filter((key): key is string => key !== undefined);
    const issued = masks.issued.map((key) => key.toString('hex'));
    if (new Set(used).size !== used.length) problems.push(`a masking key was used for more than one frame: ${used.join(', ')}`);
    let position = 0;
    for (const key of used) {
      const found = issued.indexOf(key, position);
      if (found < 0) problems.push(`masking key ${key} did not come from generateMask (in order)`);
      else position = found + 1;
    }
  }
  return { written: frames.map((frame) => frame.description), problems };
}

export function runCase(testCase: ConformanceCase, role: Role, segments: Segment[], chunker: Chunker): Outcome {
  const { protocol, recorder, masks } = createProtocol(role, testCase.options);
  for (const segment of segments) {
    if ('act' in segment) {
      try {
        segment.act(protocol);
      } catch (error) {
        recorder.events.push(`threw ${(error as Error).name}`);
      }
      continue;
    }
    for (const chunk of chunker(segment.bytes)) {
      try {
        // receive() owns its chunk (it unmasks in place): hand it a copy, the case's bytes are reused.
        protocol.receive(Buffer.from(chunk));
      } catch (error) {
        recorder.problems.push(`receive() threw ${(error as Error).name}: ${(error as Error).message}`);
      }
    }
  }
  const { written, problems } = writtenFrames(recorder, role, masks);
  return { events: recorder.events, written, state: protocol.state, problems: [...recorder.problems, ...problems] };
}

export function expectedState(testCase: ConformanceCase): string {
  if (testCase.state) return testCase.state;
  return testCase.written.some((frame) => frame.startsWith('88')) ? 'closed' : 'open';
}
