// Group 2: ping and pong (RFC 6455 sections 5.5.2 and 5.5.3).
import { ev, failsWith, out, peer, repeatBytes } from '../support/cases.ts';
import type { CaseGroup } from '../support/cases.ts';

export const pingPong: CaseGroup = {
  id: '2',
  title: 'ping and pong',
  cases: [
    { id: '2.1', title: 'ping without payload is answered by an empty pong', steps: [peer.ping()], events: [ev.ping()], written: [out.pong()] },
    {
      id: '2.2',
      title: 'ping with text payload: pong echoes it',
      steps: [peer.ping('Hello, world!')],
      events: [ev.ping('Hello, world!')],
      written: [out.pong('Hello, world!')],
    },
    {
      id: '2.3',
      title: 'ping with binary payload',
      steps: [peer.ping(Buffer.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff))],
      events: [ev.ping(Buffer.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff))],
      written: [out.pong(Buffer.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff))],
    },
    {
      id: '2.4',
      title: 'ping with 125 bytes payload (the largest allowed)',
      steps: [peer.ping(repeatBytes(125))],
      events: [ev.ping(repeatBytes(125))],
      written: [out.pong(repeatBytes(125))],
    },
    { id: '2.5', title: 'ping with 126 bytes payload fails with 1002', steps: [peer.ping(repeatBytes(126))], ...failsWith(1002) },
    {
      id: '2.6',
      title: 'ping with 125 bytes payload sent in the 16-bit length form',
      steps: [peer.ping(repeatBytes(125), { lengthBits: 16 })],
      ...failsWith(1002),
    },
    { id: '2.7', title: 'unsolicited pong without payload: reported, nothing sent', steps: [peer.pong()], events: [ev.pong()], written: [] },
    {
      id: '2.8',
      title: 'unsolicited pong with payload: payload passed on',
      steps: [peer.pong('unsolicited')],
      events: [ev.pong('unsolicited')],
      written: [],
    },
    {
      id: '2.9',
      title: 'unsolicited pong, then ping',
      steps: [peer.pong('unsolicited'), peer.ping('solicited')],
      events: [ev.pong('unsolicited'), ev.ping('solicited')],
      written: [out.pong('solicited')],
    },
    {
      id: '2.10',
      title: 'ten pings: ten pongs in order',
      steps: Array.from({ length: 10 }, (_, i) => peer.ping(`ping ${i}`)),
      events: Array.from({ length: 10 }, (_, i) => ev.ping(`ping ${i}`)),
      written: Array.from({ length: 10 }, (_, i) => out.pong(`ping ${i}`)),
    },
    {
      id: '2.11',
      title: 'autoPong off: ping reported, no pong',
      options: { autoPong: false },
      steps: [peer.ping('Hello')],
      events: [ev.ping('Hello')],
      written: [],
    },
    {
      id: '2.12',
      title: 'autoPong off: the application answers',
      options: { autoPong: false },
      steps: [peer.ping('Hello'), { act: (protocol) => protocol.sendPong('Hello') }],
      events: [ev.ping('Hello')],
      written: [out.pong('Hello')],
    },
    { id: '2.13', title: 'pong with 126 bytes payload fails with 1002', steps: [peer.pong(repeatBytes(126))], ...failsWith(1002) },
    {
      id: '2.14',
      title: 'ping between two text messages',
      steps: [peer.text('before'), peer.ping('p'), peer.text('after')],
      events: [ev.text('before'), ev.ping('p'), ev.text('after')],
      written: [out.pong('p')],
    },
  ],
};
