import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeRejection } from '../../src/cli/format.ts';
import { WRONG_SECRET_REASON } from '../../src/wire/secure-link.js';

test('an inbound 4001 refusal names both causes: another secret or another mesh name (the PSK mixes both)', () => {
  const line = describeRejection({ url: null, direction: 'inbound', peerId: null, code: 4001, reason: WRONG_SECRET_REASON, by: 'local' });
  assert.is(line, `! refused inbound connection: 4001 ${WRONG_SECRET_REASON}; or the nodes have different mesh names (--mesh, option mesh)`);
});

test('other refusals keep their reason as it is', () => {
  const line = describeRejection({ url: null, direction: 'inbound', peerId: null, code: 4003, reason: 'protocol version 99, expected 2', by: 'local' });
  assert.is(line, '! refused inbound connection: 4003 protocol version 99, expected 2');
});

test.run();
