// Group 7: the closing handshake (RFC 6455 sections 5.5.1, 7.1 and 7.4).
import { asciiText, ev, failsWith, out, peer } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase } from '../support/cases.ts';
import { closePayload, hex } from '../support/wire.ts';

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

const validCodes: ConformanceCase[] = VALID_CODES.map((code, index) => ({
  id: `7.7.${index + 1}`,
  title: `close code ${code} is echoed`,
  steps: [peer.close(code)],
  events: [ev.close(code)],
  written: [out.close(code)],
}));

const invalidCodes: ConformanceCase[] = INVALID_CODES.map((code, index) => ({
  id: `7.9.${index + 1}`,
  title: `close code ${code} fails with 1002`,
  steps: [peer.close(code)],
  ...failsWith(1002),
}));

const sendCloseFirst = { act: (protocol: { sendClose(code?: number, reason?: string): void }) => protocol.sendClose(1000, 'bye') };

export const close: CaseGroup = {
  id: '7',
  title: 'close',
  cases: [
    { id: '7.1.1', title: 'close 1000: reported and echoed', steps: [peer.close(1000)], events: [ev.close(1000)], written: [out.close(1000)] },
    {
      id: '7.1.2',
      title: 'empty close: reported as 1005, empty close echoed',
      steps: [peer.emptyClose()],
      events: [ev.close(1005)],
      written: [out.emptyClose()],
    },
    {
      id: '7.1.3',
      title: 'close with reason: reason reported, code and reason echoed',
      steps: [peer.close(1000, 'Hello, world!')],
      events: [ev.close(1000, 'Hello, world!')],
      written: [out.close(1000, 'Hello, world!')],
    },
    {
      id: '7.1.4',
      title: 'close reason of 123 bytes (the largest allowed)',
      steps: [peer.close(1000, asciiText(123))],
      events: [ev.close(1000, asciiText(123))],
      written: [out.close(1000, asciiText(123))],
    },
    {
      id: '7.1.5',
      title: 'close reason with multi-byte UTF-8',
      steps: [peer.close(4000, 'κόσμε 🎉')],
      events: [ev.close(4000, 'κόσμε 🎉')],
      written: [out.close(4000, 'κόσμε 🎉')],
    },
    { id: '7.2.1', title: 'close payload of 1 byte fails with 1002', steps: [peer.closeRaw(hex('03'))], ...failsWith(1002) },
    {
      id: '7.2.2',
      title: 'close reason of 124 bytes (payload 126) fails with 1002',
      steps: [peer.close(1000, asciiText(124))],
      ...failsWith(1002),
    },
    { id: '7.2.3', title: 'close reason that is not UTF-8 fails with 1007', steps: [peer.closeRaw(hex('03 e8 ce ba ed a0 80'))], ...failsWith(1007) },
    { id: '7.2.4', title: 'close reason cut inside a UTF-8 sequence fails with 1007', steps: [peer.closeRaw(hex('03 e8 ce'))], ...failsWith(1007) },
    {
      id: '7.3.1',
      title: 'text after the peer close is ignored',
      steps: [peer.close(1000), peer.text('ignored')],
      events: [ev.close(1000)],
      written: [out.close(1000)],
    },
    {
      id: '7.3.2',
      title: 'ping after the peer close is not answered',
      steps: [peer.close(1000), peer.ping('ignored')],
      events: [ev.close(1000)],
      written: [out.close(1000)],
    },
    {
      id: '7.3.3',
      title: 'a second close frame from the peer is ignored',
      steps: [peer.close(1000), peer.close(1001)],
      events: [ev.close(1000)],
      written: [out.close(1000)],
    },
    {
      id: '7.3.4',
      title: 'invalid frame after the peer close is ignored',
      steps: [peer.close(1000), peer.frame({ opcode: 0x3 })],
      events: [ev.close(1000)],
      written: [out.close(1000)],
    },
    {
      id: '7.3.5',
      title: 'message, then close: message delivered first',
      steps: [peer.text('last words'), peer.close(1001, 'going')],
      events: [ev.text('last words'), ev.close(1001, 'going')],
      written: [out.close(1001, 'going')],
    },
    {
      id: '7.4.1',
      title: 'we close first: peer data still delivered, pings not answered, peer close not echoed',
      steps: [sendCloseFirst, peer.text('late'), peer.ping('late ping'), peer.close(1000)],
      events: [ev.text('late'), ev.ping('late ping'), ev.close(1000)],
      written: [out.close(1000, 'bye')],
    },
    {
      id: '7.4.2',
      title: 'we close first: the handshake is half done until the peer answers',
      steps: [sendCloseFirst],
      events: [],
      written: [out.close(1000, 'bye')],
      state: 'closing',
    },
    {
      id: '7.4.3',
      title: 'nothing is sent after our close frame: text, binary, ping, pong and close all throw',
      steps: [
        sendCloseFirst,
        { act: (protocol) => protocol.sendText('x') },
        { act: (protocol) => protocol.sendBinary(Buffer.of(1)) },
        { act: (protocol) => protocol.sendPing() },
        { act: (protocol) => protocol.sendPong() },
        { act: (protocol) => protocol.sendClose(1000) },
      ],
      events: Array.from({ length: 5 }, () => ev.threw('WsStateError')),
      written: [out.close(1000, 'bye')],
      state: 'closing',
    },
    {
      id: '7.4.4',
      title: 'nothing is sent after echoing the peer close',
      steps: [peer.close(1000), { act: (protocol) => protocol.sendText('x') }, { act: (protocol) => protocol.sendClose(1000) }],
      events: [ev.close(1000), ev.threw('WsStateError'), ev.threw('WsStateError')],
      written: [out.close(1000)],
    },
    {
      id: '7.4.5',
      title: 'we close with an empty close frame',
      steps: [{ act: (protocol) => protocol.sendClose() }, peer.emptyClose()],
      events: [ev.close(1005)],
      written: [out.emptyClose()],
    },
    {
      id: '7.4.6',
      title: 'we close first, the peer then breaks the protocol: no second close frame',
      steps: [sendCloseFirst, peer.frame({ opcode: 0x3 })],
      events: [ev.error(1002)],
      written: [out.close(1000, 'bye')],
      state: 'closed',
    },
    {
      id: '7.4.7',
      title: 'we fail the connection: close frame with our code and reason, then nothing more',
      steps: [{ act: (protocol) => protocol.fail(1008, 'policy') }, peer.text('ignored'), { act: (protocol) => protocol.sendText('x') }],
      events: [ev.threw('WsStateError')],
      written: [out.frame({ opcode: 0x8, payload: closePayload(1008, 'policy') })],
    },
    ...validCodes,
    ...invalidCodes,
  ],
};
