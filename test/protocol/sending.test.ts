// What Protocol writes for each send call, byte for byte, in both roles; argument checks; state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WsStateError } from '../../src/protocol/errors.ts';
import { Protocol } from '../../src/protocol/protocol.ts';
import { ev, out } from '../conformance/support/cases.ts';
import { createProtocol, Recorder, writtenFrames } from '../conformance/support/harness.ts';
import { closePayload, peerFrame, readWrittenFrames } from '../conformance/support/wire.ts';
import type { Role } from '../conformance/support/wire.ts';

const ROLES: Role[] = ['server', 'client'];

function throwsA(action: () => void, errorClass: new (...args: never[]) => Error, label = ''): void {
  try {
    action();
  } catch (error) {
    assert.instance(error, errorClass, label);
    assert.ok((error as Error).message, 'the error names the problem');
    return;
  }
  assert.unreachable(`expected ${errorClass.name} ${label}`);
}

/** Runs `send` on a fresh endpoint; returns the written frames described unmasked, and masking problems. */
function sent(role: Role, send: (protocol: Protocol) => void, options: { fragmentSize?: number } = {}) {
  const { protocol, recorder, masks } = createProtocol(role, options);
  send(protocol);
  return { ...writtenFrames(recorder, role, masks), protocol, recorder };
}

function bytes(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 13 + 5) & 0xff));
}

const HEADERS: Array<[number, string]> = [
  [0, '82 00'],
  [1, '82 01'],
  [125, '82 7d'],
  [126, '82 7e 00 7e'],
  [127, '82 7e 00 7f'],
  [65535, '82 7e ff ff'],
  [65536, '82 7f 00 00 00 00 00 01 00 00'],
  [1 << 20, '82 7f 00 00 00 00 00 10 00 00'],
];

for (const role of ROLES) {
  for (const [length, header] of HEADERS) {
    test(`[${role}] binary of ${length} bytes: minimal length form ${header}`, () => {
      const { written, problems } = sent(role, (protocol) => protocol.sendBinary(bytes(length)));
      assert.equal(problems, []);
      assert.equal(written, [out.binary(bytes(length))]);
      assert.ok(written[0].startsWith(header), written[0].slice(0, 40));
    });
  }

  test(`[${role}] text with multi-byte characters: UTF-8 bytes and byte length`, () => {
    const { written } = sent(role, (protocol) => protocol.sendText('κόσμε 🎉'));
    assert.equal(written, ['81 0f ce ba cf 8c cf 83 ce bc ce b5 20 f0 9f 8e 89']);
  });

  test(`[${role}] empty text and empty binary`, () => {
    const { written } = sent(role, (protocol) => {
      protocol.sendText('');
      protocol.sendBinary(new Uint8Array(0));
    });
    assert.equal(written, ['81 00', '82 00']);
  });

  test(`[${role}] binary from Buffer, Uint8Array view with an offset, and ArrayBuffer`, () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const { written } = sent(role, (protocol) => {
      protocol.sendBinary(Buffer.from([1, 2, 3]));
      protocol.sendBinary(backing.subarray(2, 5));
      protocol.sendBinary(new Uint8Array([1, 2, 3]).buffer);
    });
    assert.equal(written, ['82 03 01 02 03', '82 03 01 02 03', '82 03 01 02 03']);
  });

  test(`[${role}] the caller's data is never modified by masking`, () => {
    const data = bytes(100_000);
    const copy = Buffer.from(data);
    sent(role, (protocol) => {
      protocol.sendBinary(data);
      protocol.sendBinary(data.subarray(1, 50));
      protocol.sendPing(data.subarray(0, 125));
    });
    assert.ok(data.equals(copy));
  });

  test(`[${role}] fragmentSize 4: binary of 10 bytes in frames of 4, 4, 2`, () => {
    const data = bytes(10);
    const { written } = sent(role, (protocol) => protocol.sendBinary(data), { fragmentSize: 4 });
    assert.equal(written, [
      out.frame({ opcode: 0x2, payload: data.subarray(0, 4), fin: false }),
      out.frame({ opcode: 0x0, payload: data.subarray(4, 8), fin: false }),
      out.frame({ opcode: 0x0, payload: data.subarray(8) }),
    ]);
  });

  test(`[${role}] fragmentSize: a message that fits is one frame; control frames are never fragmented`, () => {
    const { written } = sent(role, (protocol) => {
      protocol.sendBinary(bytes(4));
      protocol.sendText('abcd');
      protocol.sendPing('123456789');
      protocol.sendClose(1000, 'a reason longer than four');
    }, { fragmentSize: 4 });
    assert.equal(written, [out.binary(bytes(4)), out.text('abcd'), out.ping('123456789'), out.close(1000, 'a reason longer than four')]);
  });

  test(`[${role}] fragmentSize: fragmented text (code points cut between frames) reassembles`, () => {
    const text = 'κόσμε 🎉 '.repeat(20);
    const sender = createProtocol(role, { fragmentSize: 7 });
    sender.protocol.sendText(text);
    const { frames } = readWrittenFrames(sender.recorder.bytes, role);
    assert.ok(frames.length > 1, 'several frames');
    assert.equal(frames.map((frame) => frame.payload.length), [...Array(frames.length - 1).fill(7), frames[frames.length - 1].payload.length]);
    const peerRole: Role = role === 'server' ? 'client' : 'server';
    const receiver = createProtocol(peerRole);
    receiver.protocol.receive(sender.recorder.bytes);
    assert.equal(receiver.recorder.events, [ev.text(text)]);
  });

  test(`[${role}] ping and pong payloads: none, string, bytes, 125 bytes`, () => {
    const { written } = sent(role, (protocol) => {
      protocol.sendPing();
      protocol.sendPong();
      protocol.sendPing('Hello');
      protocol.sendPong(Uint8Array.of(1, 2));
      protocol.sendPing(bytes(125));
    });
    assert.equal(written, ['89 00', '8a 00', '89 05 48 65 6c 6c 6f', '8a 02 01 02', out.ping(bytes(125))]);
  });

  test(`[${role}] ping or pong of 126 bytes: RangeError, nothing written`, () => {
    const { written, protocol } = sent(role, () => {});
    throwsA(() => protocol.sendPing(bytes(126)), RangeError);
    throwsA(() => protocol.sendPong('x'.repeat(126)), RangeError);
    throwsA(() => protocol.sendPing('é'.repeat(63)), RangeError);
    assert.equal(written, []);
    assert.is(protocol.state, 'open');
  });

  test(`[${role}] close payloads: none, code, code and reason, 123-byte reason`, () => {
    for (const [args, expected] of [
      [[], '88 00'],
      [[1000], '88 02 03 e8'],
      [[4999, 'bye'], '88 05 13 87 62 79 65'],
      [[1001, 'x'.repeat(123)], out.close(1001, 'x'.repeat(123))],
    ] as Array<[[number?, string?], string]>) {
      const { written, protocol } = sent(role, (p) => p.sendClose(...args));
      assert.equal(written, [expected], JSON.stringify(args));
      assert.is(protocol.state, 'closing');
    }
  });

  test(`[${role}] sendClose refuses invalid codes and long reasons with RangeError, writing nothing`, () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 1000.5]) {
      const { protocol, written } = sent(role, () => {});
      throwsA(() => protocol.sendClose(code), RangeError, `code ${code}`);
      assert.equal(written, []);
      assert.is(protocol.state, 'open', `code ${code}`);
    }
    const { protocol, recorder } = sent(role, () => {});
    throwsA(() => protocol.sendClose(1000, 'x'.repeat(124)), RangeError);
    throwsA(() => protocol.sendClose(1000, 'é'.repeat(62)), RangeError, '124 bytes in 62 characters');
    assert.is(recorder.bytes.length, 0);
    protocol.sendClose(1000, 'é'.repeat(61));
    assert.is(protocol.state, 'closing');
  });

  test(`[${role}] close handshake we start: open -> closing -> closed, closeSent and closeReceived`, () => {
    const { protocol, recorder } = createProtocol(role);
    assert.is(protocol.state, 'open');
    assert.is(protocol.closeSent, null);
    protocol.sendClose(1001, 'going away');
    assert.is(protocol.state, 'closing');
    assert.equal(protocol.closeSent, { code: 1001, reason: 'going away' });
    protocol.receive(peerFrame({ opcode: 0x8, payload: closePayload(1001, 'ok') }, role));
    assert.is(protocol.state, 'closed');
    assert.equal(protocol.closeReceived, { code: 1001, reason: 'ok' });
    assert.equal(recorder.events, ['close 1001 "ok"']);
  });

  test(`[${role}] close handshake the peer starts: echo, closed, sending throws WsStateError`, () => {
    const { protocol } = createProtocol(role);
    protocol.receive(peerFrame({ opcode: 0x8, payload: closePayload(3000, 'why') }, role));
    assert.is(protocol.state, 'closed');
    assert.equal(protocol.closeReceived, { code: 3000, reason: 'why' });
    assert.is(protocol.closeSent?.code, 3000);
    throwsA(() => protocol.sendText('late'), WsStateError);
    throwsA(() => protocol.sendPing(), WsStateError);
  });

  test(`[${role}] peer closes with 1000 'bye': the answer echoes code and reason, byte for byte`, () => {
    const { protocol, recorder, masks } = createProtocol(role);
    protocol.receive(peerFrame({ opcode: 0x8, payload: closePayload(1000, 'bye') }, role));
    const { written, problems } = writtenFrames(recorder, role, masks);
    assert.equal(problems, []);
    assert.equal(written, ['88 05 03 e8 62 79 65']);
    assert.equal(protocol.closeSent, { code: 1000, reason: 'bye' });
  });

  test(`[${role}] peer closes without a payload: the answer has none either`, () => {
    const { protocol, recorder, masks } = createProtocol(role);
    protocol.receive(peerFrame({ opcode: 0x8, payload: Buffer.alloc(0) }, role));
    assert.equal(writtenFrames(recorder, role, masks).written, ['88 00']);
  });

  test(`[${role}] fail(): close frame with code and reason, closed, no protocolError event, idempotent`, () => {
    const { protocol, recorder, written } = sent(role, (p) => {
      p.fail(1011, 'internal');
      p.fail(1002, 'again');
    });
    assert.equal(written, [out.close(1011, 'internal')]);
    assert.equal(recorder.events, []);
    assert.is(protocol.state, 'closed');
    throwsA(() => protocol.sendBinary(bytes(1)), WsStateError);
  });

  test(`[${role}] fail() after our close frame: no second close frame`, () => {
    const { written, protocol } = sent(role, (p) => {
      p.sendClose(1000);
      p.fail(1011, 'internal');
    });
    assert.equal(written, [out.close(1000)]);
    assert.is(protocol.state, 'closed');
  });

  test(`[${role}] fail() with a long reason: the reason is cut to at most 123 bytes of whole characters`, () => {
    const { recorder } = sent(role, (p) => p.fail(1011, 'é'.repeat(100)));
    const [frame] = readWrittenFrames(recorder.bytes, role).frames;
    assert.is(frame.payload.readUInt16BE(0), 1011);
    assert.is(frame.payload.subarray(2).toString('utf8'), 'é'.repeat(61));
  });
}

test('frames keep their bytes while later frames are encoded (shared slab): sizes around its limits, many slabs, both roles', () => {
  // 511 B stays in Node's pool, 512 B to 16 KiB + header come from the encoder's slab, larger unmasked payloads
  // are sent as header + the caller's buffer. About 600 KiB in all: several slabs are filled and replaced.
  const sizes = [500, 498, 497, 1000, 1024, 4095, 4096, 8000, 16_370, 16_384, 16_385, 3];
  for (const role of ROLES) {
    const { protocol, recorder, masks } = createProtocol(role);
    const kept: Buffer[] = [];
    recorder.write = (chunk: Buffer) => void kept.push(chunk);
    const expected: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (const [index, size] of sizes.entries()) {
        const payload = Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + round * 31 + index) & 0xff));
        if (index % 2 === 0) {
          protocol.sendBinary(payload);
          expected.push(out.binary(payload));
        } else {
          const text = 'é'.repeat(size >> 1);
          protocol.sendText(text);
          expected.push(out.text(text));
        }
      }
    }
    // Read only now, by reference: a frame overwritten by a later one would show here.
    recorder.chunks.push(...kept);
    const { written, problems } = writtenFrames(recorder, role, masks);
    assert.equal(problems, []);
    assert.equal(written, expected, role);
  }
});

test('client: the default mask keys come from crypto, a fresh one per frame', () => {
  const recorder = new Recorder('client');
  const protocol = new Protocol({ role: 'client' }, recorder);
  for (let i = 0; i < 200; i++) protocol.sendText('x');
  const { frames, problems } = readWrittenFrames(recorder.bytes, 'client');
  assert.equal(problems, []);
  const keys = new Set(frames.map((frame) => frame.maskKey?.toString('hex')));
  assert.is(frames.length, 200);
  // 200 random 32-bit keys collide with probability ~5e-6.
  assert.is(keys.size, 200);
});

test('client: the default keys of all connections come from one pool, not 8 KiB per connection; each key fresh', () => {
  const before = process.memoryUsage().arrayBuffers;
  const endpoints: Protocol[] = [];
  const keys = new Set<string>();
  // More connections than one pool has keys (2,048): the pool is refilled on the way.
  for (let i = 0; i < 3000; i++) {
    const recorder = new Recorder('client');
    const protocol = new Protocol({ role: 'client' }, recorder);
    protocol.sendText('x');
    endpoints.push(protocol);
    const { frames, problems } = readWrittenFrames(recorder.bytes, 'client');
    assert.equal(problems, []);
    keys.add(frames[0]!.maskKey!.toString('hex'));
  }
  const grown = process.memoryUsage().arrayBuffers - before;
  // A pool per connection held 8 KiB each: 24 MiB for these 3,000 (all still alive).
  assert.ok(grown < 2 * 1024 * 1024, `array buffers grew by ${grown} bytes for ${endpoints.length} client endpoints`);
  // 3,000 random 32-bit keys: a collision has probability ~1e-3, three ~1e-10.
  assert.ok(keys.size >= 2997, `${3000 - keys.size} repeated keys`);
});

test('client: generateMask is called once per frame, in order', () => {
  const { protocol, recorder, masks } = createProtocol('client', { fragmentSize: 2 });
  protocol.sendBinary(bytes(5));
  protocol.sendPing('p');
  const { frames } = readWrittenFrames(recorder.bytes, 'client');
  assert.equal(frames.map((frame) => frame.maskKey?.toString('hex')), masks.issued.map((key) => key.toString('hex')));
  assert.is(frames.length, 4);
});

test.run();
