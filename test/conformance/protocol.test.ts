// The conformance suite against the sans-I/O Protocol, in both roles, each case fed in several chunkings.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_GROUPS, selectedCases } from './all-groups.ts';
import { expectedState, feedModes, runCase } from './support/harness.ts';
import type { Role } from './support/wire.ts';

const ROLES: Role[] = ['server', 'client'];

for (const group of ALL_GROUPS) {
  const groupSuite = suite(`${group.id} ${group.title}`);
  for (const testCase of selectedCases(group)) {
    for (const role of ROLES) {
      groupSuite(`${testCase.id} [${role}] ${testCase.title}`, () => {
        const expected = { events: testCase.events, written: testCase.written, state: expectedState(testCase), problems: [] };
        for (const mode of feedModes(testCase, role)) {
          const outcome = runCase(testCase, role, mode.segments, mode.chunker);
          assert.equal(outcome, expected, `case ${testCase.id} as ${role}, peer bytes fed ${mode.name}`);
        }
      });
    }
  }
  groupSuite.run();
}
