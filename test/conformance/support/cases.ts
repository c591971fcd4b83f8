// The shape of a conformance case and helpers to write its expectations down.
import type { Protocol } from '../../../src/protocol/protocol.ts';
import { closePayload, describeBytes, describeFrame, payloadBytes, plainFrame } from './wire.ts';
import type { FrameSpec } from './wire.ts';

export type Step =
  /** The peer sends a whole frame (masked when the endpoint under test is a server). */
  | { send: FrameSpec }
  /** The peer sends only the header of a frame (with its masking key, when masked). */
  | { sendHeader: FrameSpec }
  /** The endpoint under test does something, e.g. `p => p.sendClose(1000)`; a throw is recorded as an event. */
  | { act: (protocol: Protocol) => void };

export interface ConformanceCase {
  /** Autobahn-style group.case number, e.g. '5.3'. */
  id: string;
  title: string;
  options?: { maxPayload?: number; autoPong?: boolean };
  steps: Step[];
  /** The events the endpoint reports, in order (see `ev`). */
  events: string[];
  /** The frames the endpoint writes, in order, described unmasked (see `out`). */
  written: string[];
  /** The state afterwards; when omitted: 'closed' if the endpoint wrote a close frame, else 'open'. */
  state?: 'open' | 'closing' | 'closed';
}

export interface CaseGroup {
  id: string;
  title: string;
  cases: ConformanceCase[];
}

function describePayload(bytes: Uint8Array): string {
  return bytes.length === 0 ? '(empty)' : describeBytes(bytes);
}

/** Expected events, as the recorder describes them. */
export const ev = {
  text(text: string): string {
    const bytes = Buffer.from(text, 'utf8');
    return bytes.length <= 200 ? `text ${JSON.stringify(text)}` : `text ${describeBytes(bytes)}`;
  },
  binary: (data: Uint8Array | string): string => `binary ${describePayload(payloadBytes(data))}`,
  ping: (payload: Uint8Array | string = ''): string => `ping ${describePayload(payloadBytes(payload))}`,
  pong: (payload: Uint8Array | string = ''): string => `pong ${describePayload(payloadBytes(payload))}`,
  close: (code: number, reason = ''): string => `close ${code} ${JSON.stringify(reason)}`,
  error: (code: number): string => `error ${code}`,
  threw: (errorName: string): string => `threw ${errorName}`,
};

/** Expected frames written by the endpoint, described unmasked. */
export const out = {
  frame(spec: FrameSpec): string {
    const bytes = plainFrame(spec);
    const payloadLength = payloadBytes(spec.payload).length;
    return describeFrame(bytes.subarray(0, bytes.length - payloadLength), bytes.subarray(bytes.length - payloadLength));
  },
  close: (code: number, reason = ''): string => out.frame({ opcode: 0x8, payload: closePayload(code, reason) }),
  emptyClose: (): string => out.frame({ opcode: 0x8 }),
  pong: (payload: Uint8Array | string = ''): string => out.frame({ opcode: 0xa, payload }),
  ping: (payload: Uint8Array | string = ''): string => out.frame({ opcode: 0x9, payload }),
  text: (text: string): string => out.frame({ opcode: 0x1, payload: text }),
  binary: (data: Uint8Array): string => out.frame({ opcode: 0x2, payload: data }),
};

/** Shorthands for the frames a peer sends. */
export const peer = {
  text: (payload: Uint8Array | string, more: Partial<FrameSpec> = {}): Step => ({ send: { opcode: 0x1, payload, ...more } }),
  binary: (payload: Uint8Array | string, more: Partial<FrameSpec> = {}): Step => ({ send: { opcode: 0x2, payload, ...more } }),
  continuation: (payload: Uint8Array | string, more: Partial<FrameSpec> = {}): Step => ({
    send: { opcode: 0x0, payload, ...more },
  }),
  ping: (payload: Uint8Array | string = '', more: Partial<FrameSpec> = {}): Step => ({ send: { opcode: 0x9, payload, ...more } }),
  pong: (payload: Uint8Array | string = '', more: Partial<FrameSpec> = {}): Step => ({ send: { opcode: 0xa, payload, ...more } }),
  close: (code: number, reason = '', more: Partial<FrameSpec> = {}): Step => ({
    send: { opcode: 0x8, payload: closePayload(code, reason), ...more },
  }),
  closeRaw: (payload: Uint8Array, more: Partial<FrameSpec> = {}): Step => ({ send: { opcode: 0x8, payload, ...more } }),
  emptyClose: (): Step => ({ send: { opcode: 0x8 } }),
  frame: (spec: FrameSpec): Step => ({ send: spec }),
  header: (spec: FrameSpec): Step => ({ sendHeader: spec }),
};

/** The endpoint's answer when it fails the connection with `code`: its close frame and the error event. */
export function failsWith(code: number): { events: string[]; written: string[] } {
  return { events: [ev.error(code)], written: [out.close(code)] };
}

export function repeatBytes(length: number, seed = 0): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** ASCII text of `length` bytes with some variety, so that shifted bytes would be noticed. */
export function asciiText(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789*';
  return alphabet.repeat(Math.ceil(length / alphabet.length)).slice(0, length);
}
