// Fuzzing of the sans-I/O opening handshake: random and mutated HTTP requests into HttpRequestParser and
// answerHandshake (server side), random and mutated responses into HttpResponseParser and
// verifyServerResponse (client side), in random chunkings. Nothing may throw but WsHandshakeError, and
// every accepted request must produce an answer that our own client accepts.
import { buildClientRequest, parseWsUrl, verifyServerResponse } from '../../src/handshake/client-handshake.ts';
import { HttpRequestParser, HttpResponseParser } from '../../src/handshake/http-head-parser.ts';
import type { ParsedHead } from '../../src/handshake/http-head-parser.ts';
import { answerHandshake, errorResponse, switchingProtocolsResponse } from '../../src/handshake/server-handshake.ts';
import type { ServerHandshakeOptions } from '../../src/handshake/server-handshake.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';
import { mutate, split } from './frame-streams.ts';
import { Random } from './random.ts';

export type HandshakeSide = 'request' | 'response';

const PROTOCOLS = ['chat', 'wsmesh.v1', 'a.b', 'x', 'bad protocol', ''];
const EXTENSIONS = [
  'permessage-deflate',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; server_max_window_bits=10; client_no_context_takeover',
  'permessage-deflate; server_max_window_bits=8, permessage-deflate',
  'permessage-deflate; x="a\\"b"',
  'foo, permessage-deflate;;',
  'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
];
/** Lines that stress the parsers: long whitespace runs (regex backtracking), many commas, odd bytes. */
const NASTY_LINES = [
  () => `X-Space: a${' '.repeat(8000)}b`,
  () => `X-Tabs: ${' \t'.repeat(4000)}x`,
  () => `Sec-WebSocket-Extensions: ${'permessage-deflate;'.repeat(500)}`,
  () => `Sec-WebSocket-Protocol: ${','.repeat(8000)}`,
  () => `Sec-WebSocket-Extensions: permessage-deflate; x="${'\\'.repeat(4000)}`,
  () => `Host: ${'['.repeat(3000)}`,
  () => `Connection: ${'upgrade, '.repeat(1000)}`,
  () => 'X-Latin1: \xe9\xff\x80',
  () => 'Bad Name: value',
  () => ' folded continuation',
];

function requestHead(random: Random): Buffer {
  const url = parseWsUrl(random.pick(['ws://127.0.0.1:8080/', 'ws://[::1]:9/chat?x=1', 'ws://example.com/', 'wss://h/p']));
  const protocols = [...new Set(Array.from({ length: random.int(3) }, () => random.pick(PROTOCOLS.slice(0, 4))))];
  const request = buildClientRequest(url, {
    protocols,
    perMessageDeflate: random.chance(0.5),
    origin: random.chance(0.3) ? 'http://page.example' : undefined,
  });
  let text = request.bytes.toString('latin1');
  if (random.chance(0.3)) text = text.replace('\r\n\r\n', `\r\nSec-WebSocket-Extensions: ${random.pick(EXTENSIONS)}\r\n\r\n`);
  if (random.chance(0.2)) text = text.replace('\r\n\r\n', `\r\n${random.pick(NASTY_LINES)()}\r\n\r\n`);
  if (random.chance(0.1)) text = text.replace(/Sec-WebSocket-Key: [^\r]*/, `Sec-WebSocket-Key: ${random.pick(['', 'short', 'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ=='])}`);
  if (random.chance(0.1)) text = text.replace('GET', random.pick(['POST', 'get', 'GET  ', '']));
  if (random.chance(0.1)) text = text.replace('HTTP/1.1', random.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.10', 'HTTPS/1.1']));
  if (random.chance(0.05)) text = `\r\n\r\n${text}`;
  if (random.chance(0.05)) text += random.bytes(random.int(64)).toString('latin1');
  return Buffer.from(text, 'latin1');
}

function responseHead(random: Random, key: string, offered: readonly string[]): Buffer {
  const roll = random.next();
  if (roll < 0.15) return errorResponse(random.pick([400, 403, 404, 426, 431, 503]), 'refused');
  const protocol = random.chance(0.6) && offered.length > 0 ? random.pick(offered) : random.chance(0.1) ? 'unoffered' : '';
  const extensions = random.chance(0.4) ? random.pick(EXTENSIONS) : '';
  let text = switchingProtocolsResponse(random.chance(0.9) ? key : 'dGhlIHNhbXBsZSBub25jZQ==', protocol, extensions).toString('latin1');
  if (random.chance(0.2)) text = text.replace('\r\n\r\n', `\r\n${random.pick(NASTY_LINES)()}\r\n\r\n`);
  if (random.chance(0.1)) text = text.replace('101 Switching Protocols', random.pick(['101', '200 OK', '1010 X', '101 Switching\x00']));
  return Buffer.from(text, 'latin1');
}

function serverOptions(random: Random): ServerHandshakeOptions {
  const preference = PROTOCOLS.slice(0, 1 + random.int(4));
  return {
    perMessageDeflate: random.chance(0.6),
    selectProtocol: random.chance(0.8) ? (offered) => preference.find((protocol) => offered.includes(protocol)) : () => random.pick(PROTOCOLS),
    verifyOrigin: random.chance(0.2) ? (origin) => origin === undefined : undefined,
  };
}

function feed<Head>(parser: { push(chunk: Uint8Array): ParsedHead<Head> | null }, pieces: readonly Buffer[]): ParsedHead<Head> | null {
  for (const piece of pieces) {
    const parsed = parser.push(piece);
    if (parsed) return parsed;
  }
  return null;
}

/** Only WsHandshakeError may escape; anything else (TypeError, RangeError, ...) is a bug. */
function typedOnly(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WsHandshakeError)) throw error;
  }
}

/** One request through parser and answer; an accepted one must satisfy our client's verification. */
export function checkRequest(pieces: readonly Buffer[], options: ServerHandshakeOptions, maxHeadSize?: number): void {
  typedOnly(() => {
    const parsed = feed(new HttpRequestParser(maxHeadSize), pieces);
    if (parsed === null) return;
    const outcome = answerHandshake(parsed.head, options);
    if (!outcome.accepted) {
      if (!(outcome.error instanceof WsHandshakeError) || !/^HTTP\/1\.1 [45]\d\d /.test(outcome.response.toString('latin1'))) {
        throw new Error(`refusal without a typed error or a 4xx/5xx answer: ${outcome.response.toString('latin1').slice(0, 80)}`);
      }
      return;
    }
    const answer = feed(new HttpResponseParser(), [outcome.response]);
    if (answer === null) throw new Error('the 101 answer is not a complete HTTP head');
    const headers = parsed.head.headers;
    verifyServerResponse(answer.head, {
      key: headers.get('sec-websocket-key')!,
      protocols: outcome.offeredProtocols,
      deflateOffered: headers.has('sec-websocket-extensions'),
    });
  });
}

/** One response through parser and client verification. */
export function checkResponse(pieces: readonly Buffer[], key: string, protocols: readonly string[], maxHeadSize?: number): void {
  typedOnly(() => {
    const parsed = feed(new HttpResponseParser(maxHeadSize), pieces);
    if (parsed !== null) verifyServerResponse(parsed.head, { key, protocols, deflateOffered: true });
  });
}

export interface HandshakeFuzzFailure {
  side: HandshakeSide;
  seed: number;
  input: Buffer;
  error: string;
}

export interface HandshakeFuzzReport {
  cases: number;
  bytes: number;
  /** The slowest single case, ms: a hang (catastrophic backtracking, a loop) would show here. */
  slowestMs: number;
  failures: HandshakeFuzzFailure[];
}

/** Runs `iterations` seeds, each a request case and a response case (mostly mutated, randomly chunked). */
export function fuzzHandshake(firstSeed: number, iterations: number): HandshakeFuzzReport {
  const report: HandshakeFuzzReport = { cases: 0, bytes: 0, slowestMs: 0, failures: [] };
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  for (let seed = firstSeed; seed < firstSeed + iterations; seed++) {
    for (const side of ['request', 'response'] as const) {
      const random = new Random(seed * 2 + (side === 'request' ? 0 : 1));
      const protocols = ['chat', 'wsmesh.v1'].slice(0, random.int(3));
      const roll = random.next();
      const valid = side === 'request' ? requestHead(random) : responseHead(random, key, protocols);
      const input = roll < 0.1 ? random.bytes(random.int(300)) : roll < 0.7 ? mutate(random, valid) : valid;
      const maxHeadSize = random.chance(0.2) ? 16 + random.int(400) : undefined;
      const pieces = split(random, input);
      const options = serverOptions(random);
      report.cases++;
      report.bytes += input.length;
      const started = performance.now();
      try {
        if (side === 'request') checkRequest(pieces, options, maxHeadSize);
        else checkResponse(pieces, key, protocols, maxHeadSize);
      } catch (error) {
        report.failures.push({ side, seed, input, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
      report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
    }
  }
  return report;
}
