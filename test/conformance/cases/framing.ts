// Group 1: text and binary messages of the sizes around each length form (RFC 6455 section 5.2).
import { asciiText, ev, peer, repeatBytes } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase } from '../support/cases.ts';

const SIZES = [0, 1, 125, 126, 127, 128, 65535, 65536];

function sizeCases(kind: 'text' | 'binary', group: string): ConformanceCase[] {
  return SIZES.map((size, index) => {
    const payload = kind === 'text' ? asciiText(size) : repeatBytes(size);
    return {
      id: `${group}.${index + 1}`,
      title: `${kind} message of ${size} bytes`,
      steps: [peer[kind](payload)],
      events: [kind === 'text' ? ev.text(asciiText(size)) : ev.binary(payload)],
      written: [],
    };
  });
}

export const framing: CaseGroup = {
  id: '1',
  title: 'framing',
  cases: [
    ...sizeCases('text', '1.1'),
    ...sizeCases('binary', '1.2'),
    {
      id: '1.3.1',
      title: 'several messages back to back',
      steps: [peer.text('one'), peer.binary(Buffer.of(0, 1, 2)), peer.text(''), peer.binary(''), peer.text('two')],
      events: [ev.text('one'), ev.binary(Buffer.of(0, 1, 2)), ev.text(''), ev.binary(''), ev.text('two')],
      written: [],
    },
    {
      id: '1.3.2',
      title: 'binary message with every byte value',
      steps: [peer.binary(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))],
      events: [ev.binary(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))],
      written: [],
    },
    {
      id: '1.3.3',
      title: 'peer masking key of all zero bytes',
      steps: [peer.text('Hello', { maskKey: Buffer.of(0, 0, 0, 0) })],
      events: [ev.text('Hello')],
      written: [],
    },
  ],
};
