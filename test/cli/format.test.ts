import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeRejection } from '../../src/cli/format.ts';

test('other refusals keep their reason as it is', () => {
  const line = describeRejection({ url: null, direction: 'inbound', peerId: null, code: 4003, reason: 'protocol version 99, expected 2', by: 'local' });
  assert.is(line, '! refused inbound connection: 4003 protocol version 99, expected 2');
});

test('a refusal by the other side reads "refused by the peer", also when neither its id nor its URL is known', () => {
  const reason = 'another node uses this id (e9a7eaea84cac511b1fe1c08bef9ae4d): one identity key in two processes';
  assert.is(describeRejection({ url: null, direction: 'inbound', peerId: null, code: 4004, reason, by: 'remote' }), `! refused by the peer: 4004 ${reason}`);
  assert.is(
    describeRejection({ url: 'ws://127.0.0.1:7447/', direction: 'outbound', peerId: 'e9a7eaea84cac511b1fe1c08bef9ae4d', code: 4004, reason, by: 'remote' }),
    `! refused by the peer e9a7eaea ws://127.0.0.1:7447/: 4004 ${reason}`,
  );
});

test.run();
