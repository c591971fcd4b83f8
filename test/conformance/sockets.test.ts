// The conformance suite over real sockets on 127.0.0.1: our WebSocketServer and our connect() client,
// each against a raw TCP peer that writes the case's bytes (in one write, and frame by frame).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_GROUPS, selectedCases } from './all-groups.ts';
import { expectedOverSockets, runClientCase, runServerCase, runsOverSockets } from './support/socket-runner.ts';
import type { SocketMode } from './support/socket-runner.ts';

const MODES: SocketMode[] = ['one write', 'frame by frame'];
const RUNNERS = { server: runServerCase, client: runClientCase };

for (const group of ALL_GROUPS) {
  const groupSuite = suite(`${group.id} ${group.title} (sockets)`);
  for (const testCase of selectedCases(group).filter(runsOverSockets)) {
    for (const role of ['server', 'client'] as const) {
      groupSuite(`${testCase.id} [our ${role}] ${testCase.title}`, async () => {
        for (const mode of MODES) {
          const outcome = await RUNNERS[role](testCase, mode);
          assert.equal(outcome, expectedOverSockets(testCase), `case ${testCase.id}, our ${role}, peer bytes sent ${mode}`);
        }
      });
    }
  }
  groupSuite.run();
}
