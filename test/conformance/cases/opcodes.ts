// Group 4: reserved opcodes 0x3-0x7 and 0xB-0xF fail the connection with 1002 (RFC 6455 section 5.2).
import { ev, failsWith, out, peer } from '../support/cases.ts';
import type { CaseGroup, ConformanceCase } from '../support/cases.ts';

const RESERVED_DATA = [0x3, 0x4, 0x5, 0x6, 0x7];
const RESERVED_CONTROL = [0xb, 0xc, 0xd, 0xe, 0xf];

function reservedOpcodeCases(group: string, opcodes: number[]): ConformanceCase[] {
  return opcodes.flatMap((opcode, index) => [
    {
      id: `${group}.${index * 2 + 1}`,
      title: `opcode 0x${opcode.toString(16)} without payload`,
      steps: [peer.frame({ opcode })],
      ...failsWith(1002),
    },
    {
      id: `${group}.${index * 2 + 2}`,
      title: `valid text, opcode 0x${opcode.toString(16)} with payload, ping`,
      steps: [peer.text('Hello'), peer.frame({ opcode, payload: 'reserved' }), peer.ping()],
      events: [ev.text('Hello'), ev.error(1002)],
      written: [out.close(1002)],
    },
  ]);
}

export const opcodes: CaseGroup = {
  id: '4',
  title: 'opcodes',
  cases: [
    ...reservedOpcodeCases('4.1', RESERVED_DATA),
    ...reservedOpcodeCases('4.2', RESERVED_CONTROL),
    {
      id: '4.3.1',
      title: 'reserved opcode 0xB with FIN clear',
      steps: [peer.frame({ opcode: 0xb, fin: false })],
      ...failsWith(1002),
    },
  ],
};
