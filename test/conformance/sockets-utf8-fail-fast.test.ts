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

/** Our endpoint in `role` over a socket to a raw peer, after the opening handshake. */
async function endpointWithRawPeer(role: Role) {
  if (role === 'server') {
    const pair = await serverWithRawClient();
    await writeAndWait(pair.socket, pair.request.bytes);
    const ws = await withTimeout(pair.ws, DEADLINE, 'connection');
    const written = () => framesAfterResponse(pair.log, pair.request.key);
    return { ws, socket: pair.socket, log: pair.log, written, close: pair.close };
  }
  const pair = await clientWithRawServer();
  await writeAndWait(pair.socket, pair.response);
  const ws = await withTimeout(pair.connecting, DEADLINE, 'connect()');
  return { ws, socket: pair.socket, log: pair.log, written: pair.frames, close: pair.close };
}

for (const { id, first, rest } of CASES) {
  for (const role of ['server', 'client'] as const) {
    test(`${id} [${role}] invalid UTF-8 in the first piece of a text frame: 1007 before the rest arrives`, async () => {
      const peer = await endpointWithRawPeer(role);
      try {
        const recorder = new Recorder(role);
        const closed = record(peer.ws, recorder);
        await writeAndWait(peer.socket, firstPart(role, first, rest));
        const closeSent = () => peer.written().frames.some((frame) => frame.opcode === 0x8);
        await withTimeout(peer.log.until(closeSent), DEADLINE, 'the close frame (the rest of the frame is never sent)');
        const { frames, problems } = peer.written();
        assert.equal(problems, []);
        assert.equal(frames.map((frame) => frame.description), [out.close(1007)]);
        peer.socket.end();
        await withTimeout(closed, DEADLINE, 'close event');
        assert.equal(recorder.events, [ev.error(1007), 'closed 1007 clean=false']);
      } finally {
        await peer.close();
      }
    });
  }
}

test.run();
