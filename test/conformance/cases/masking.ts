// Group 10: masking (RFC 6455 section 5.1): a server fails on an unmasked frame, a client on a masked
// one. The harness checks every written frame: masked with a fresh key by a client, never by a server.
import { ev, failsWith, out, peer } from '../support/cases.ts';
import type { CaseGroup } from '../support/cases.ts';

const wrong = { masking: 'wrong' as const };

export const masking: CaseGroup = {
  id: '10',
  title: 'masking',
  cases: [
    { id: '10.1', title: 'text frame with the wrong masking fails with 1002', steps: [peer.text('Hello', wrong)], ...failsWith(1002) },
    { id: '10.2', title: 'empty binary frame with the wrong masking', steps: [peer.binary('', wrong)], ...failsWith(1002) },
    { id: '10.3', title: 'ping with the wrong masking', steps: [peer.ping('Hello', wrong)], ...failsWith(1002) },
    { id: '10.4', title: 'close with the wrong masking', steps: [peer.close(1000, '', wrong)], ...failsWith(1002) },
    {
      id: '10.5',
      title: 'continuation with the wrong masking',
      steps: [peer.text('Hel', { fin: false }), peer.continuation('lo', wrong)],
      ...failsWith(1002),
    },
    {
      id: '10.6',
      title: 'valid frame, then one with the wrong masking',
      steps: [peer.text('Hello'), peer.text('Hello', wrong)],
      events: [ev.text('Hello'), ev.error(1002)],
      written: [out.close(1002)],
    },
    {
      id: '10.7',
      title: 'outgoing frames: one key per frame (client), none (server)',
      steps: [
        {
          act: (protocol) => {
            protocol.sendText('one');
            protocol.sendText('one');
            protocol.sendBinary(Buffer.from('two'));
            protocol.sendPing('three');
            protocol.sendPong('four');
          },
        },
        peer.ping('five'),
      ],
      events: [ev.ping('five')],
      written: [out.text('one'), out.text('one'), out.binary(Buffer.from('two')), out.ping('three'), out.pong('four'), out.pong('five')],
    },
  ],
};
