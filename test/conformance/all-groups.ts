// Every conformance case group, in Autobahn's order.
import { close } from './cases/close.ts';
import { fragmentation } from './cases/fragmentation.ts';
import { framing } from './cases/framing.ts';
import { limits } from './cases/limits.ts';
import { masking } from './cases/masking.ts';
import { opcodes } from './cases/opcodes.ts';
import { pingPong } from './cases/ping-pong.ts';
import { reservedBits } from './cases/reserved-bits.ts';
import { utf8 } from './cases/utf8.ts';
import type { CaseGroup, ConformanceCase } from './support/cases.ts';

export const ALL_GROUPS: CaseGroup[] = [framing, pingPong, reservedBits, opcodes, fragmentation, utf8, close, limits, masking];

/** Cases whose id starts with CONFORMANCE_CASE (e.g. `CONFORMANCE_CASE=6.5`), or all of them. */
export function selectedCases(group: CaseGroup): ConformanceCase[] {
  const prefix = process.env.CONFORMANCE_CASE;
  if (!prefix) return group.cases;
  return group.cases.filter((testCase) => testCase.id === prefix || testCase.id.startsWith(`${prefix}.`));
}
