// UTF-8 fail-fast inside one frame, over real sockets, in both roles (Autobahn-style 6.4.3 / 6.4.4): the
// peer sends the header of a text frame and the first part of its payload, which holds an invalid sequence,
// and never sends the rest. The connection must be failed with 1007 on that piece, not when (if ever) the
// frame is complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/timeout.ts';
import { ev, out } from './support/cases.ts';
import { Recorder } from './support/harness.ts';
import { writeAndWait } from './support/raw-peer.ts';
import { clientWithRawServer, framesAfterResponse, record, serverWithRawClient } from './support/socket-runner.ts';
import { hex, peerFrame, peerFrameHeader, type Role } from './support/wire.ts';

const DEADLINE = 10_000;
const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
const CASES = [
  // 6.4.3: a 4-byte sequence above U+10FFFF, whole, in the first piece.
  { id: '6.4.3', first: Buffer.concat([KOSME, hex('f4 90 80 80')]), rest: Buffer.from('edited') },
  // 6.4.4: the first piece ends after two bytes of that sequence: already impossible (F4 must be followed by 80-8F).
  { id: '6.4.4', first: Buffer.concat([KOSME, hex('f4 90')]), rest: Buffer.concat([hex('80 80'), Buffer.from('edited')]) },
];

/** The frame's header and the first part of its payload, as the peer of an endpoint in `role` sends them. */
function firstPart(role: Role, first: Buffer, rest: Buffer): Buffer {
  const spec = { opcode: 0x1, payload: Buffer.concat([first, rest]) };
  const whole = peerFrame(spec, role);
  return whole.subarray(0, peerFrameHeader(spec, role).length + first.length);
}

for (const { id, first, rest } of CASES) {
  test(`${id} [server] invalid UTF-8 in the first piece of a text frame: 1007 before the rest arrives`, async () => {
    const pair = await serverWithRawClient();
    try {
      await writeAndWait(pair.socket, pair.request.bytes);
      const ws = await withTimeout(pair.ws, DEADLINE, 'connection');
      const recorder = new Recorder('server');
      const closed = record(ws, recorder);
      await writeAndWait(pair.socket, firstPart('server', first, rest));
      const closeFrame = () => framesAfterResponse(pair.log, pair.request.key).frames.some((frame) => frame.opcode === 0x8);
      await withTimeout(pair.log.until(closeFrame), DEADLINE, 'the close frame (the rest of the frame is never sent)');
      const { frames, problems } = framesAfterResponse(pair.log, pair.request.key);
      assert.equal(problems, []);
      assert.equal(frames.map((frame) => frame.description), [out.close(1007)]);
      pair.socket.end();
      await withTimeout(closed, DEADLINE, 'close event');
      assert.equal(recorder.events, [ev.error(1007), 'closed 1007 clean=false']);
    } finally {
      await pair.close();
    }
  });

  test(`${id} [client] invalid UTF-8 in the first piece of a text frame: 1007 before the rest arrives`, async () => {
    const pair = await clientWithRawServer();
    try {
      await writeAndWait(pair.socket, pair.response);
      const ws = await withTimeout(pair.connecting, DEADLINE, 'connect()');
      const recorder = new Recorder('client');
      const closed = record(ws, recorder);
      await writeAndWait(pair.socket, firstPart('client', first, rest));
      await withTimeout(pair.log.until(() => pair.hasSentClose()), DEADLINE, 'the close frame (the rest of the frame is never sent)');
      const { frames, problems } = pair.frames();
      assert.equal(problems, []);
      assert.equal(frames.map((frame) => frame.description), [out.close(1007)]);
      pair.socket.end();
      await withTimeout(closed, DEADLINE, 'close event');
      assert.equal(recorder.events, [ev.error(1007), 'closed 1007 clean=false']);
    } finally {
      await pair.close();
    }
  });
}

test.run();
