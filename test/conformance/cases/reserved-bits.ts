// Group 3: RSV bits set without a negotiated extension fail the connection with 1002 (RFC 6455 section 5.2).
import { ev, failsWith, out, peer, repeatBytes } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase } from '../support/cases.ts';

const RSV_VALUES = [4, 2, 1, 6, 5, 3, 7];

const onText: ConformanceCase[] = RSV_VALUES.map((rsv, index) => ({
  id: `3.1.${index + 1}`,
  title: `text frame with RSV bits ${rsv.toString(2).padStart(3, '0')}`,
  steps: [peer.text('Hello', { rsv })],
  ...failsWith(1002),
}));

export const reservedBits: CaseGroup = {
  id: '3',
  title: 'reserved bits',
  cases: [
    ...onText,
    { id: '3.2.1', title: 'binary frame with RSV1', steps: [peer.binary(repeatBytes(10), { rsv: 4 })], ...failsWith(1002) },
    { id: '3.2.2', title: 'ping with RSV2', steps: [peer.ping('Hello', { rsv: 2 })], ...failsWith(1002) },
    { id: '3.2.3', title: 'pong with RSV3', steps: [peer.pong('Hello', { rsv: 1 })], ...failsWith(1002) },
    { id: '3.2.4', title: 'close with RSV1', steps: [peer.close(1000, '', { rsv: 4 })], ...failsWith(1002) },
    {
      id: '3.2.5',
      title: 'continuation with RSV1',
      steps: [peer.text('Hel', { fin: false }), peer.continuation('lo', { rsv: 4 })],
      ...failsWith(1002),
    },
    {
      id: '3.3.1',
      title: 'valid text, then text with RSV2, then ping: first message delivered, nothing after the failure',
      steps: [peer.text('Hello'), peer.text('Hello', { rsv: 2 }), peer.ping('Hello')],
      events: [ev.text('Hello'), ev.error(1002)],
      written: [out.close(1002)],
    },
  ],
};
