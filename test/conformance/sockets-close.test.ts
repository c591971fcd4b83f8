// Closing handshakes that our side starts, over real sockets (the table-driven cases only cover the
// peer's actions): nothing is sent after our close frame, the server ends TCP first, the client waits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/timeout.ts';
import { ev, out } from './support/cases.ts';
import { Recorder } from './support/harness.ts';
import { clientWithRawServer, framesAfterResponse, record, serverEndsAfterClientClose, serverWithRawClient } from './support/socket-runner.ts';
import { writeAndWait } from './support/raw-peer.ts';
import { closePayload, peerFrame } from './support/wire.ts';

const DEADLINE = 20_000;


test('our server closes first: later peer data is delivered, pings unanswered, server ends TCP after the reply', async () => {
  const pair = await serverWithRawClient();
  try {
    await writeAndWait(pair.socket, pair.request.bytes);
    const ws = await withTimeout(pair.ws, DEADLINE, 'connection');
    const recorder = new Recorder('server');
    const closed = record(ws, recorder);
    ws.close(1000, 'bye');
    assert.is(ws.send('after close'), false, 'discarded, no throw');
    await withTimeout(pair.log.until(() => framesAfterResponse(pair.log, pair.request.key).frames.length > 0), DEADLINE, 'close frame');
    assert.not.ok(pair.log.ended, 'the server waits for the close reply before ending TCP');
    const late = [{ opcode: 0x1, payload: 'late' }, { opcode: 0x9, payload: 'late ping' }, { opcode: 0x8, payload: closePayload(1000, 'ok') }];
    await writeAndWait(pair.socket, Buffer.concat(late.map((frame) => peerFrame(frame, 'server'))));
    await withTimeout(pair.log.until((log) => log.ended), DEADLINE, 'the server ending TCP');
    pair.socket.end();
    await withTimeout(closed, DEADLINE, 'close event');
    const { frames, problems } = framesAfterResponse(pair.log, pair.request.key);
    assert.equal(problems, []);
    assert.equal(frames.map((frame) => frame.description), [out.close(1000, 'bye')]);
    assert.equal(recorder.events, [ev.text('late'), ev.ping('late ping'), 'closed 1000 "ok" clean=true']);
  } finally {
    await pair.close();
  }
});

test('our client closes first: later peer data is delivered, pings unanswered, the client waits for the server to end TCP', async () => {
  const pair = await clientWithRawServer();
  try {
    await writeAndWait(pair.socket, pair.response);
    const ws = await withTimeout(pair.connecting, DEADLINE, 'connect()');
    const recorder = new Recorder('client');
    const closed = record(ws, recorder);
    ws.close(3000, 'bye');
    ws.ping(); // discarded, no throw
    await withTimeout(pair.log.until(() => pair.hasSentClose()), DEADLINE, 'close frame');
    const late = [{ opcode: 0x2, payload: 'late' }, { opcode: 0x9, payload: 'late ping' }, { opcode: 0x8, payload: closePayload(3000) }];
    await writeAndWait(pair.socket, Buffer.concat(late.map((frame) => peerFrame(frame, 'client'))));
    const problems = await serverEndsAfterClientClose(pair);
    await withTimeout(closed, DEADLINE, 'close event');
    assert.equal(problems, []);
    const written = pair.frames();
    assert.equal(written.problems, []);
    assert.equal(written.frames.map((frame) => frame.description), [out.close(3000, 'bye')]);
    assert.equal(recorder.events, [ev.binary('late'), ev.ping('late ping'), 'closed 3000 "" clean=true']);
  } finally {
    await pair.close();
  }
});

test('our client: messages and an empty close from the server; client echoes an empty close and waits', async () => {
  const pair = await clientWithRawServer();
  try {
    const frames = [{ opcode: 0x1, payload: 'one' }, { opcode: 0x8 }];
    await writeAndWait(pair.socket, Buffer.concat([pair.response, ...frames.map((frame) => peerFrame(frame, 'client'))]));
    const ws = await withTimeout(pair.connecting, DEADLINE, 'connect()');
    const recorder = new Recorder('client');
    const closed = record(ws, recorder);
    const problems = await serverEndsAfterClientClose(pair);
    await withTimeout(closed, DEADLINE, 'close event');
    assert.equal(problems, []);
    assert.equal(pair.frames().frames.map((frame) => frame.description), [out.emptyClose()]);
    assert.equal(recorder.events, [ev.text('one'), 'closed 1005 "" clean=true']);
  } finally {
    await pair.close();
  }
});

test('our client masks every frame with a fresh key', async () => {
  const pair = await clientWithRawServer();
  try {
    await writeAndWait(pair.socket, pair.response);
    const ws = await withTimeout(pair.connecting, DEADLINE, 'connect()');
    for (let i = 0; i < 50; i++) ws.send(`message ${i}`);
    await withTimeout(pair.log.until(() => pair.frames().frames.length === 50), DEADLINE, '50 frames');
    const { frames, problems } = pair.frames();
    assert.equal(problems, []);
    assert.equal(frames.map((frame) => frame.payload.toString()), Array.from({ length: 50 }, (_, i) => `message ${i}`));
    assert.is(new Set(frames.map((frame) => frame.maskKey?.toString('hex'))).size, 50);
  } finally {
    await pair.close();
  }
});

test.run();
