// Group 9: large messages, maxPayload (1009 from the header, before the payload arrives) and the
// payload length field itself (RFC 6455 section 5.2: 64-bit length with its top bit clear, minimal form).
import { asciiText, ev, failsWith, out, peer, repeatBytes } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase } from '../support/cases.ts';

const MiB = 1024 * 1024;
const notFin = { fin: false };

const LARGE = [MiB, 4 * MiB, 16 * MiB];

const large: ConformanceCase[] = LARGE.flatMap((size, index) => [
  {
    id: `9.1.${index * 2 + 1}`,
    title: `binary message of ${size / MiB} MiB`,
    steps: [peer.binary(repeatBytes(size))],
    events: [ev.binary(repeatBytes(size))],
    written: [],
  },
  {
    id: `9.1.${index * 2 + 2}`,
    title: `text message of ${size / MiB} MiB`,
    steps: [peer.text(asciiText(size))],
    events: [ev.text(asciiText(size))],
    written: [],
  },
]);

function fragments(data: Buffer, size: number, opcode: 'text' | 'binary') {
  const steps = [];
  for (let offset = 0; offset < data.length; offset += size) {
    const part = data.subarray(offset, offset + size);
    const fin = offset + size >= data.length;
    steps.push(offset === 0 ? peer[opcode](part, { fin }) : peer.continuation(part, { fin }));
  }
  return steps;
}

/** Non-minimal length forms: src/protocol rejects them with 1002 (RFC 6455 section 5.2 says "MUST" use minimal). */
const nonMinimal: ConformanceCase[] = [
  { id: '9.4.1', title: '5 bytes in the 16-bit length form', steps: [peer.text('Hello', { lengthBits: 16 })], ...failsWith(1002) },
  { id: '9.4.2', title: '5 bytes in the 64-bit length form', steps: [peer.text('Hello', { lengthBits: 64 })], ...failsWith(1002) },
  { id: '9.4.3', title: '125 bytes in the 16-bit length form', steps: [peer.binary(repeatBytes(125), { lengthBits: 16 })], ...failsWith(1002) },
  { id: '9.4.4', title: '65535 bytes in the 64-bit length form', steps: [peer.header({ opcode: 0x2, payload: repeatBytes(65535), lengthBits: 64 })], ...failsWith(1002) },
  { id: '9.4.5', title: '0 bytes in the 16-bit length form', steps: [peer.binary('', { lengthBits: 16 })], ...failsWith(1002) },
];

export const limits: CaseGroup = {
  id: '9',
  title: 'large messages and limits',
  cases: [
    ...large,
    {
      id: '9.1.7',
      title: '16 MiB binary in 64 KiB fragments',
      steps: fragments(repeatBytes(16 * MiB), 64 * 1024, 'binary'),
      events: [ev.binary(repeatBytes(16 * MiB))],
      written: [],
    },
    {
      id: '9.1.8',
      title: '1 MiB text in 1000-byte fragments',
      steps: fragments(Buffer.from(asciiText(MiB)), 1000, 'text'),
      events: [ev.text(asciiText(MiB))],
      written: [],
    },
    {
      id: '9.2.1',
      title: 'maxPayload 1000: a message of exactly 1000 bytes is accepted',
      options: { maxPayload: 1000 },
      steps: [peer.binary(repeatBytes(1000))],
      events: [ev.binary(repeatBytes(1000))],
      written: [],
    },
    {
      id: '9.2.2',
      title: 'maxPayload 1000: the header of a 1001-byte message alone fails with 1009',
      options: { maxPayload: 1000 },
      steps: [peer.header({ opcode: 0x2, payload: repeatBytes(1001) })],
      ...failsWith(1009),
    },
    {
      id: '9.2.3',
      title: 'maxPayload 1000: fragments of 600 + header of 401 fail with 1009 at the second header',
      options: { maxPayload: 1000 },
      steps: [peer.text(asciiText(600), notFin), peer.header({ opcode: 0x0, payload: asciiText(401) })],
      ...failsWith(1009),
    },
    {
      id: '9.2.4',
      title: 'maxPayload 1000: fragments of 600 + 400 are accepted',
      options: { maxPayload: 1000 },
      steps: [peer.text(asciiText(1000).slice(0, 600), notFin), peer.continuation(asciiText(1000).slice(600))],
      events: [ev.text(asciiText(1000))],
      written: [],
    },
    {
      id: '9.2.5',
      title: 'maxPayload 1000: a control frame does not count against it',
      options: { maxPayload: 1000 },
      steps: [peer.text(asciiText(1000).slice(0, 900), notFin), peer.ping('x'), peer.continuation(asciiText(1000).slice(900))],
      events: [ev.ping('x'), ev.text(asciiText(1000))],
      written: [out.pong('x')],
    },
    {
      id: '9.2.8',
      title: 'maxPayload 1000: 15 one-byte fragments count 15 x 64 = 960 bytes and are accepted',
      options: { maxPayload: 1000 },
      steps: fragments(Buffer.from(asciiText(15)), 1, 'text'),
      events: [ev.text(asciiText(15))],
      written: [],
    },
    {
      id: '9.2.9',
      title: 'maxPayload 1000: 16 one-byte fragments count 1024 bytes and fail with 1009 at the 16th header',
      options: { maxPayload: 1000 },
      steps: [...fragments(Buffer.from(asciiText(16)), 1, 'text').slice(0, 15), peer.header({ opcode: 0x0, payload: 'x' })],
      ...failsWith(1009),
    },
    {
      id: '9.2.6',
      title: 'default maxPayload: the header of a 16 MiB + 1 message alone fails with 1009',
      steps: [peer.header({ opcode: 0x2, declaredLength: BigInt(16 * MiB + 1) })],
      ...failsWith(1009),
    },
    {
      id: '9.2.7',
      title: 'default maxPayload: the header of a 2^62-byte message alone fails with 1009',
      steps: [peer.header({ opcode: 0x1, declaredLength: 2n ** 62n })],
      ...failsWith(1009),
    },
    {
      id: '9.3.1',
      title: '64-bit length with the most significant bit set fails with 1002',
      steps: [peer.header({ opcode: 0x2, declaredLength: 2n ** 63n })],
      ...failsWith(1002),
    },
    {
      id: '9.3.2',
      title: '64-bit length 0xFFFFFFFFFFFFFFFF fails with 1002',
      steps: [peer.header({ opcode: 0x2, declaredLength: 2n ** 64n - 1n })],
      ...failsWith(1002),
    },
    ...nonMinimal,
  ],
};
