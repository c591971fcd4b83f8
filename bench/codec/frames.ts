import { createRequire } from 'node:module';
import type * as ProtocolModule from '../../src/protocol/protocol.ts';
import type { Role } from '../../src/protocol/protocol.ts';
import { importOurs } from '../lib/ours.ts';
import { buildMaskedFrame, makePayload } from '../load/frames.ts';
import type { PassResult } from './timing.ts';

/**
 * Frame parsing and encoding through each library's own codec objects, without sockets:
 * ours = Protocol.receive / Protocol.sendBinary|sendText; ws = its Receiver and Sender classes.
 */

export const FRAME_CONTENDERS = ['ours', 'ws'] as const;
export type FrameContender = (typeof FRAME_CONTENDERS)[number];

const CHUNK_SIZE = 64 * 1024;
const requireFromHere = createRequire(import.meta.url);

interface WsReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  write(chunk: Buffer): boolean;
}
interface WsSender {
  send(data: Buffer | string, options: { binary: boolean; compress: boolean; fin: boolean; mask: boolean; readOnly: boolean }, cb?: () => void): void;
}
const ws = requireFromHere('ws') as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
  Sender: new (socket: object) => WsSender;
};

function ignoreEvent(): void {}

/**
 * At least 2 MiB of identical masked client frames carrying `size` bytes each, cut into 64 KiB chunks that
 * are views of `input`; `pristine` restores `input` after a pass has unmasked it in place.
 */
export function chunkedFrames(size: number, binary: boolean): { frameCount: number; pristine: Buffer; input: Buffer; chunks: Buffer[] } {
  const frame = buildMaskedFrame(makePayload(size, binary), binary);
  const frameCount = Math.max(8, Math.ceil((2 * 1024 * 1024) / frame.length));
  const pristine = Buffer.concat(Array.from({ length: frameCount }, () => frame));
  const input = Buffer.from(pristine);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += CHUNK_SIZE) chunks.push(input.subarray(offset, offset + CHUNK_SIZE));
  return { frameCount, pristine, input, chunks };
}

/**
 * A parse pass: masked client frames (as a server receives them) fed in 64 KiB chunks. Both codecs unmask
 * in place, so the input is restored from a pristine copy before each pass, outside the timed part.
 */
export async function parsePass(contender: FrameContender, size: number, binary: boolean, textAsBuffer = false): Promise<() => PassResult> {
  const { frameCount, pristine, input, chunks } = chunkedFrames(size, binary);
  let messages = 0;
  let feed: (chunk: Buffer) => void;
  if (contender === 'ours') {
    const { Protocol } = (await importOurs('protocol/protocol')) as typeof ProtocolModule;
    const protocol = new Protocol(
      { role: 'server', maxPayload: 64 * 1024 * 1024, textAsBuffer },
      {
        write: ignoreEvent,
        message: () => messages++,
        ping: ignoreEvent,
        pong: ignoreEvent,
        closeFrame: ignoreEvent,
        protocolError: (error) => {
          throw error;
        },
      },
    );
    feed = (chunk) => protocol.receive(chunk);
  } else {
    const receiver = new ws.Receiver({ isServer: true, maxPayload: 64 * 1024 * 1024 });
    receiver.on('message', () => messages++);
    receiver.on('error', (error) => {
      throw error;
    });
    feed = (chunk) => receiver.write(chunk);
  }
  return () => {
    pristine.copy(input);
    messages = 0;
    const started = process.hrtime.bigint();
    for (const chunk of chunks) feed(chunk);
    const nanoseconds = Number(process.hrtime.bigint() - started);
    if (messages !== frameCount) throw new Error(`${contender} parsed ${messages} of ${frameCount} frames`);
    return { units: frameCount, bytes: frameCount * size, nanoseconds };
  };
}

/** An encode pass: `frames` messages sent through the codec into a sink that only counts bytes. */
export async function encodePass(contender: FrameContender, role: Role, size: number, binary: boolean): Promise<() => PassResult> {
  const payload = binary ? makePayload(size, true) : makePayload(size, false).toString('utf8');
  const framesPerPass = Math.max(16, Math.ceil((2 * 1024 * 1024) / size));
  let written = 0;
  let send: () => void;
  if (contender === 'ours') {
    const { Protocol } = (await importOurs('protocol/protocol')) as typeof ProtocolModule;
    const protocol = new Protocol(
      { role },
      {
        write: (chunk) => (written += chunk.length),
        message: ignoreEvent,
        ping: ignoreEvent,
        pong: ignoreEvent,
        closeFrame: ignoreEvent,
        protocolError: ignoreEvent,
      },
    );
    send = typeof payload === 'string' ? () => protocol.sendText(payload) : () => protocol.sendBinary(payload);
  } else {
    // ws hands text payloads to socket.write as strings (the socket encodes them); count their UTF-8 bytes.
    const socket = {
      cork: ignoreEvent,
      uncork: ignoreEvent,
      write: (chunk: Buffer | string) => ((written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length), true),
    };
    const sender = new ws.Sender(socket);
    const options = { binary, compress: false, fin: true, mask: role === 'client', readOnly: true };
    send = () => sender.send(payload, options);
  }
  return () => {
    written = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < framesPerPass; i++) send();
    const nanoseconds = Number(process.hrtime.bigint() - started);
    if (written < framesPerPass * size) throw new Error(`${contender} wrote ${written} bytes for ${framesPerPass} frames of ${size}`);
    return { units: framesPerPass, bytes: framesPerPass * size, nanoseconds };
  };
}
