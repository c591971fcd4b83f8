import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Protocol } from '../../src/protocol/protocol.ts';

function client(maxPayload: number) {
  const events: unknown[] = [];
  const protocol = new Protocol(
    { role: 'client', maxPayload },
    {
      write() {},
      message: (data) => events.push(['message', (data as string).length]),
      ping() {},
      pong() {},
      closeFrame() {},
      protocolError: (error) => events.push(['error', error.code, error.message]),
    },
  );
  return { protocol, events };
}

const text = (length: number) => Buffer.concat([Buffer.from([0x81, 126, length >> 8, length & 0xff]), Buffer.alloc(length, 0x61)]);

test('maxPayload can be raised and lowered between messages; the limit applies from the next header', () => {
  const { protocol, events } = client(200);
  protocol.receive(text(200));
  protocol.maxPayload = 1000;
  protocol.receive(text(1000));
  protocol.maxPayload = 500;
  protocol.receive(text(501).subarray(0, 4));
  assert.equal(events, [
    ['message', 200],
    ['message', 1000],
    ['error', 1009, 'message of 501 bytes or more exceeds maxPayload of 500 bytes'],
  ]);
  assert.throws(() => (protocol.maxPayload = -1), /non-negative integer/);
});

test.run();
