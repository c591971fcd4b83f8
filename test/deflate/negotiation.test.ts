import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExtensions } from '../../src/handshake/extension-header.ts';
import { acceptDeflateAnswer, acceptDeflateOffer } from '../../src/protocol/permessage-deflate.ts';

const NO_TAKEOVER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

function offer(...values: string[]) {
  const parsed = parseExtensions(values);
  assert.ok(parsed, `parses ${values.join(', ')}`);
  return acceptDeflateOffer(parsed!);
}

test("Chromium's offer is accepted without context takeover either way", () => {
  assert.equal(offer('permessage-deflate; client_max_window_bits'), {
    header: NO_TAKEOVER,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
});

test('server_max_window_bits is honoured and answered; 8 cannot be honoured by zlib, so that offer is declined', () => {
  assert.is(offer('permessage-deflate; server_max_window_bits=10')!.header, `${NO_TAKEOVER}; server_max_window_bits=10`);
  assert.is(offer('permessage-deflate; server_max_window_bits="12"')!.serverMaxWindowBits, 12);
  assert.is(offer('permessage-deflate; server_max_window_bits=8'), null);
});

test('invalid offers are declined and the next acceptable one is taken', () => {
  assert.is(offer('permessage-deflate; unknown_param'), null);
  assert.is(offer('permessage-deflate; server_no_context_takeover; server_no_context_takeover'), null);
  assert.is(offer('permessage-deflate; server_max_window_bits'), null);
  assert.is(offer('permessage-deflate; client_max_window_bits=16'), null);
  assert.is(offer('x-webkit-deflate-frame'), null);
  assert.is(offer('permessage-deflate; server_max_window_bits=20, permessage-deflate; server_max_window_bits=11')!.serverMaxWindowBits, 11);
  assert.is(parseExtensions(['permessage-deflate; a="unterminated']), null);
  assert.is(parseExtensions(['bad name']), null);
});

test('the client checks the answer to its offer', () => {
  const answer = (value: string) => acceptDeflateAnswer(parseExtensions([value])![0]!, value);
  assert.equal(answer(NO_TAKEOVER), { header: NO_TAKEOVER, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
  assert.is(answer('permessage-deflate; client_no_context_takeover'), 'server_no_context_takeover was offered but not agreed');
  assert.is(answer(`${NO_TAKEOVER}; client_max_window_bits=10`), 'parameter client_max_window_bits was not offered');
  assert.is(answer(`${NO_TAKEOVER}; server_max_window_bits=99`), 'invalid server_max_window_bits 99');
  assert.is(answer('permessage-foo'), 'server accepted extension "permessage-foo", which was not offered');
});

test.run();
