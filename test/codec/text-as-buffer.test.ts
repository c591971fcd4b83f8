import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Protocol } from '../../src/protocol/protocol.ts';

function client(textAsBuffer: boolean) {
  const events: unknown[] = [];
  const protocol = new Protocol(
    { role: 'client', textAsBuffer },
    {
      write() {},
      message: (data, isBinary) => events.push([Buffer.isBuffer(data) ? 'buffer' : 'string', String(data), isBinary]),
      ping() {},
      pong() {},
      closeFrame() {},
      protocolError: (error) => events.push(['error', error.code]),
    },
  );
  return { protocol, events };
}

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

test('textAsBuffer delivers validated text as a Buffer with isBinary false, whole or fragmented', () => {
  const { protocol, events } = client(true);
  protocol.receive(hex('81 02 c3 a9'));
  protocol.receive(hex('01 01 c3'));
  protocol.receive(hex('80 01 a9'));
  protocol.receive(hex('82 01 41'));
  assert.equal(events, [['buffer', 'é', false], ['buffer', 'é', false], ['buffer', 'A', true]]);
});

test('textAsBuffer still fails invalid UTF-8 with 1007', () => {
  const whole = client(true);
  whole.protocol.receive(hex('81 02 c0 af'));
  assert.equal(whole.events, [['error', 1007]]);
  const fragmented = client(true);
  fragmented.protocol.receive(hex('01 01 f4'));
  fragmented.protocol.receive(hex('00 01 90'));
  assert.equal(fragmented.events, [['error', 1007]]);
});

test('by default text arrives as a string', () => {
  const { protocol, events } = client(false);
  protocol.receive(hex('81 02 c3 a9'));
  assert.equal(events, [['string', 'é', false]]);
});

test.run();
