import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Protocol } from '../../src/protocol/protocol.ts';
import { isSendableText } from '../../src/protocol/utf8.ts';

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


/** An unmasked (server to client) text frame with a 16-bit or 64-bit length. */
function bigTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 65536 ? Buffer.from([0x81, 126, length >> 8, length & 0xff]) : Buffer.from([0x81, 127, 0, 0, 0, 0, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([header, payload]);
}

test('text received with textAsBuffer from 16 KiB up is sendable without a second check; others are checked', () => {
  const text = Buffer.from('grüße, señor — '.repeat(2000), 'utf8');
  const received: Buffer[] = [];
  const protocol = new Protocol(
    { role: 'client', textAsBuffer: true },
    { write() {}, message: (data) => received.push(data as Buffer), ping() {}, pong() {}, closeFrame() {}, protocolError() {} },
  );
  // Whole in one chunk (delivered as a view of it) and split over two chunks (collected).
  const frame = bigTextFrame(text);
  protocol.receive(frame);
  protocol.receive(frame.subarray(0, 1000));
  protocol.receive(frame.subarray(1000));
  assert.is(received.length, 2);
  for (const data of received) {
    assert.ok(data.equals(text));
    assert.ok(isSendableText(data));
  }
  // The flag belongs to the delivered object: a copy, a fresh invalid buffer and small text are checked.
  const invalid = Buffer.from(text);
  invalid[0] = 0xff;
  assert.not.ok(isSendableText(invalid));
  assert.ok(isSendableText(Buffer.from(text)));
  const small = Buffer.from(received[0]!.subarray(0, 100));
  small[0] = 0xc0;
  assert.not.ok(isSendableText(small));
  // The received buffer itself is not scanned again (the documented contract: do not modify it).
  received[1]![0] = 0xff;
  assert.ok(isSendableText(received[1]!));
});

test('small text received with textAsBuffer is sendable unchecked only while its message listeners run', () => {
  const seen: Array<[string, boolean, boolean]> = [];
  let kept: Buffer | undefined;
  const protocol = new Protocol(
    { role: 'client', textAsBuffer: true },
    {
      write() {},
      message(data, isBinary) {
        const bytes = data as Buffer;
        kept = bytes;
        // Modified in place (against the contract) to show which check runs: none for the delivered buffer
        // during delivery, a full one for a binary payload and for a copy.
        bytes[0] = 0xff;
        seen.push([bytes.toString('hex'), isBinary, isSendableText(bytes)]);
        seen.push(['copy', isBinary, isSendableText(Buffer.from(bytes))]);
      },
      ping() {},
      pong() {},
      closeFrame() {},
      protocolError() {},
    },
  );
  protocol.receive(hex('81 02 c3 a9'));
  protocol.receive(hex('82 02 c3 a9'));
  assert.equal(seen, [['ffa9', false, true], ['copy', false, false], ['ffa9', true, false], ['copy', true, false]]);
  // After delivery the (small) buffer is checked again.
  assert.not.ok(isSendableText(kept!));
});

test('a listener that throws leaves no delivered text behind', () => {
  let kept: Buffer | undefined;
  const protocol = new Protocol(
    { role: 'client', textAsBuffer: true },
    {
      write() {},
      message(data) {
        kept = data as Buffer;
        kept[0] = 0xff;
        throw new Error('listener failed');
      },
      ping() {},
      pong() {},
      closeFrame() {},
      protocolError() {},
    },
  );
  assert.throws(() => protocol.receive(hex('81 02 c3 a9')), /listener failed/);
  assert.not.ok(isSendableText(kept!));
});

test.run();
