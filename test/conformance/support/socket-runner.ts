// Runs a conformance case over a real TCP connection on 127.0.0.1: our WebSocketServer against a raw
// client, or our connect() against a raw server. The raw peer writes the case's bytes (plus a close
// 1000 when the case leaves the connection open) and checks the bytes it gets back and who ends TCP.
import { createServer, connect as netConnect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../../../src/transport/connect.ts';
import { WebSocketServer } from '../../../src/transport/server.ts';
import type { WebSocket } from '../../../src/transport/websocket.ts';
import { withTimeout } from '../../helpers/timeout.ts';
import { out } from './cases.ts';
import type { ConformanceCase } from './cases.ts';
import { expectedState, Recorder, segmentsOf } from './harness.ts';
import { headerValue, SocketLog, splitHead, switchingProtocols, upgradeRequest, acceptFor, writeAndWait } from './raw-peer.ts';
import { closePayload, peerFrame, readWrittenFrames } from './wire.ts';
import type { Role } from './wire.ts';

export interface SocketOutcome {
  events: string[];
  written: string[];
  problems: string[];
}

export type SocketMode = 'one write' | 'frame by frame';

/** Long enough never to fire during a case: ending TCP must come from the close handshake, not a timer. */
const CLOSE_TIMEOUT = 60_000;
/** A guard against hangs only. */
const CASE_DEADLINE = 20_000;
/** How long the raw server watches for a client that wrongly closes TCP first (only an absence check). */
const CLIENT_FIRST_WATCH = 10;

export function runsOverSockets(testCase: ConformanceCase): boolean {
  return testCase.steps.every((step) => !('act' in step));
}

/** What the WebSocket reports and what it writes, derived from the Protocol-level expectations. */
export function expectedOverSockets(testCase: ConformanceCase): SocketOutcome {
  const open = expectedState(testCase) === 'open';
  const events = testCase.events.filter((event) => !event.startsWith('close '));
  const error = testCase.events.find((event) => event.startsWith('error '));
  const peerClose = testCase.events.find((event) => event.startsWith('close '));
  if (error) events.push(`closed ${error.slice('error '.length)} clean=false`);
  else if (peerClose) events.push(`closed ${peerClose.slice('close '.length)} clean=true`);
  else events.push('closed 1000 "" clean=true');
  return { events, written: open ? [...testCase.written, out.close(1000)] : testCase.written, problems: [] };
}

/** The peer's bytes for the case, in frame-sized pieces, plus a close 1000 when the case leaves it open. */
function peerPieces(testCase: ConformanceCase, role: Role): Buffer[] {
  const pieces = segmentsOf(testCase, role).flatMap((segment) => ('bytes' in segment ? [segment.bytes] : []));
  if (expectedState(testCase) === 'open') pieces.push(peerFrame({ opcode: 0x8, payload: closePayload(1000) }, role));
  return pieces;
}

export function record(ws: WebSocket, recorder: Recorder): Promise<void> {
  ws.on('message', (data, isBinary) => recorder.message(data, isBinary));
  ws.on('ping', (payload) => recorder.ping(payload));
  ws.on('pong', (payload) => recorder.pong(payload));
  ws.on('error', (error) => recorder.events.push(`error ${(error as { code?: number }).code ?? error.message}`));
  return new Promise((resolve) => {
    ws.on('close', (code, reason, wasClean) => {
      recorder.events.push(wasClean ? `closed ${code} ${JSON.stringify(reason)} clean=true` : `closed ${code} clean=false`);
      resolve();
    });
  });
}

async function writePieces(socket: Socket, first: Buffer, pieces: Buffer[], mode: SocketMode): Promise<void> {
  if (mode === 'one write') return writeAndWait(socket, Buffer.concat([first, ...pieces]));
  await writeAndWait(socket, first);
  for (const piece of pieces) await writeAndWait(socket, piece);
}

/** Our WebSocketServer listening on 127.0.0.1, a raw TCP client connected to it, its request not yet sent. */
export async function serverWithRawClient(options: ConformanceCase['options'] = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, closeTimeout: CLOSE_TIMEOUT, ...options });
  const { port } = await server.listen();
  const ws = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const socket = netConnect({ port, host: '127.0.0.1' });
  const log = new SocketLog(socket);
  const request = upgradeRequest(port);
  const close = async () => {
    socket.destroy();
    await server.close();
  };
  return { server, ws, socket, log, request, close };
}

/** Checks the server's handshake answer; returns the frames that followed it and any problems. */
export function framesAfterResponse(log: SocketLog, key: string) {
  const answer = splitHead(log.bytes);
  if (!answer) return { frames: [], problems: ['no complete handshake response'] };
  const problems: string[] = [];
  if (!answer.head.startsWith('HTTP/1.1 101 ')) problems.push(`handshake answered ${answer.head.split('\r\n')[0]}`);
  if (headerValue(answer.head, 'Sec-WebSocket-Accept') !== acceptFor(key)) problems.push('wrong Sec-WebSocket-Accept');
  if (log.errors.length > 0) problems.push(`raw client socket errors: ${log.errors.join(', ')}`);
  const frames = readWrittenFrames(answer.rest, 'server');
  return { frames: frames.frames, problems: [...problems, ...frames.problems] };
}

/** Our WebSocketServer against a raw client. */
export async function runServerCase(testCase: ConformanceCase, mode: SocketMode): Promise<SocketOutcome> {
  const pair = await serverWithRawClient(testCase.options);
  const recorder = new Recorder('server');
  try {
    const wsClosed = pair.ws.then((ws) => record(ws, recorder));
    await writePieces(pair.socket, pair.request.bytes, peerPieces(testCase, 'server'), mode);
    await withTimeout(pair.log.until((l) => l.ended || l.closed), CASE_DEADLINE, 'waiting for the server to close TCP');
    pair.socket.end();
    await withTimeout(wsClosed, CASE_DEADLINE, "waiting for the server WebSocket's close event");
    const { frames, problems } = framesAfterResponse(pair.log, pair.request.key);
    return { events: recorder.events, written: frames.map((f) => f.description), problems };
  } finally {
    await pair.close();
  }
}

/** A raw TCP server on 127.0.0.1 and our connect() dialing it; `answer()` completes the handshake. */
export async function clientWithRawServer(options: ConformanceCase['options'] = {}) {
  const raw: Server = createServer();
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const { port } = raw.address() as AddressInfo;
  const served = new Promise<Socket>((resolve) => raw.once('connection', resolve));
  const connecting = connect(`ws://127.0.0.1:${port}/`, { closeTimeout: CLOSE_TIMEOUT, ...options });
  connecting.catch(() => {});
  const socket = await withTimeout(served, CASE_DEADLINE, 'waiting for the client to dial');
  const log = new SocketLog(socket);
  await withTimeout(log.until((l) => splitHead(l.bytes) !== null), CASE_DEADLINE, 'waiting for the handshake request');
  const request = splitHead(log.bytes)!;
  const requestLength = log.bytes.length - request.rest.length;
  const key = headerValue(request.head, 'Sec-WebSocket-Key') ?? '';
  /** The frames the client wrote after its request. */
  const frames = () => readWrittenFrames(log.bytes.subarray(requestLength), 'client');
  const hasSentClose = () => frames().frames.some((frame) => frame.opcode === 0x8);
  const close = async () => {
    socket.destroy();
    (await connecting.catch(() => undefined))?.terminate();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  };
  return { socket, log, response: switchingProtocols(key), connecting, frames, hasSentClose, close };
}

/**
 * After the client's close frame: checks that the client leaves ending TCP to the server (RFC 6455
 * section 7.1.1), then ends it. An absence check: a slow machine can only make it pass, never fail.
 */
export async function serverEndsAfterClientClose(pair: Awaited<ReturnType<typeof clientWithRawServer>>): Promise<string[]> {
  await withTimeout(pair.log.until((l) => pair.hasSentClose() || l.ended || l.closed), CASE_DEADLINE, "waiting for the client's close frame");
  await sleep(CLIENT_FIRST_WATCH);
  const problems = pair.log.ended || pair.log.closed ? ['the client closed TCP before the server did'] : [];
  pair.socket.end();
  return problems;
}

/** Our connect() against a raw server that answers the handshake and writes the case's bytes right after. */
export async function runClientCase(testCase: ConformanceCase, mode: SocketMode): Promise<SocketOutcome> {
  const pair = await clientWithRawServer(testCase.options);
  const recorder = new Recorder('client');
  try {
    await writePieces(pair.socket, pair.response, peerPieces(testCase, 'client'), mode);
    const ws = await withTimeout(pair.connecting, CASE_DEADLINE, 'waiting for connect()');
    const wsClosed = record(ws, recorder);
    const problems = await serverEndsAfterClientClose(pair);
    await withTimeout(wsClosed, CASE_DEADLINE, "waiting for the client WebSocket's close event");
    if (pair.log.errors.length > 0) problems.push(`raw server socket errors: ${pair.log.errors.join(', ')}`);
    const { frames, problems: frameProblems } = pair.frames();
    const keys = frames.map((frame) => frame.maskKey?.toString('hex'));
    if (new Set(keys).size !== keys.length) problems.push(`a masking key was reused: ${keys.join(', ')}`);
    return { events: recorder.events, written: frames.map((f) => f.description), problems: [...problems, ...frameProblems] };
  } finally {
    await pair.close();
  }
}
