import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HttpRequestParser,
  HttpResponseParser,
  type HttpRequestHead,
  type ParsedHead,
} from '../../src/handshake/http-head-parser.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';

const REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: keep-alive, Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat\r\n' +
  'sec-websocket-protocol: superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';
/** A masked text frame "Hello" (RFC 6455 section 5.7) that follows the request in the same read. */
const FRAME = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);

/** Feeds `chunks` in order; returns the head and every byte after it (its `rest` plus later chunks). */
function feed(parser: HttpRequestParser, chunks: Buffer[]): { parsed: ParsedHead<HttpRequestHead>; after: Buffer } {
  let parsed: ParsedHead<HttpRequestHead> | null = null;
  const after: Buffer[] = [];
  for (const chunk of chunks) {
    if (parsed) after.push(chunk);
    else {
      parsed = parser.push(chunk);
      if (parsed) after.push(parsed.rest);
    }
  }
  if (!parsed) throw new Error('head not complete');
  return { parsed, after: Buffer.concat(after) };
}

function assertRequest(head: HttpRequestHead): void {
  assert.is(head.method, 'GET');
  assert.is(head.target, '/chat?room=1');
  assert.is(head.httpVersion, '1.1');
  assert.is(head.headers.get('HOST'), 'server.example.com');
  assert.is(head.headers.get('connection'), 'keep-alive, Upgrade');
  assert.ok(head.headers.hasToken('Connection', 'upgrade'));
  assert.is(head.headers.count('sec-websocket-protocol'), 2);
  assert.is(head.headers.get('Sec-WebSocket-Protocol'), 'chat, superchat');
  assert.equal(head.headers.list('sec-websocket-protocol'), ['chat', 'superchat']);
}

function expectError(push: () => unknown, status: number, messagePart: string): void {
  try {
    push();
  } catch (error) {
    assert.instance(error, WsHandshakeError);
    assert.is((error as WsHandshakeError).status, status);
    assert.ok((error as Error).message.includes(messagePart), (error as Error).message);
    return;
  }
  assert.unreachable(`expected an error with status ${status}`);
}

test('parses a request in one chunk and returns the frame bytes that followed it', () => {
  const { parsed, after } = feed(new HttpRequestParser(), [Buffer.concat([Buffer.from(REQUEST), FRAME])]);
  assertRequest(parsed.head);
  assert.equal([...after], [...FRAME]);
});

test('request split at every point, frame bytes preserved', () => {
  const bytes = Buffer.concat([Buffer.from(REQUEST), FRAME]);
  for (let split = 0; split <= bytes.length; split++) {
    const { parsed, after } = feed(new HttpRequestParser(), [bytes.subarray(0, split), bytes.subarray(split)]);
    assertRequest(parsed.head);
    assert.equal([...after], [...FRAME], `split at ${split}`);
  }
});

test('request split at every pair of points (three chunks)', () => {
  const bytes = Buffer.concat([Buffer.from(REQUEST), FRAME]);
  for (let first = 0; first <= bytes.length; first += 7) {
    for (let second = first; second <= bytes.length; second++) {
      const chunks = [bytes.subarray(0, first), bytes.subarray(first, second), bytes.subarray(second)];
      const { parsed, after } = feed(new HttpRequestParser(), chunks);
      assertRequest(parsed.head);
      assert.equal([...after], [...FRAME], `split at ${first}, ${second}`);
    }
  }
});

test('request fed one byte at a time', () => {
  const bytes = Buffer.concat([Buffer.from(REQUEST), FRAME]);
  const parser = new HttpRequestParser();
  const chunks = [...bytes].map((byte) => Buffer.from([byte]));
  const { parsed, after } = feed(parser, chunks);
  assertRequest(parsed.head);
  assert.equal([...after], [...FRAME]);
});

test('incomplete head returns null; pushing after completion is a programming error', () => {
  const parser = new HttpRequestParser();
  assert.is(parser.push(Buffer.from(REQUEST.slice(0, -1))), null);
  assert.ok(parser.push(Buffer.from('\n')));
  assert.throws(() => parser.push(Buffer.from('x')), /already complete/);
});

test('header names are case-insensitive, values are trimmed of optional whitespace', () => {
  const parser = new HttpRequestParser();
  const parsed = parser.push(Buffer.from('GET / HTTP/1.1\r\nX-Thing:\t  a b  \t\r\nHOST:h\r\nEmpty:\r\n\r\n'))!;
  assert.is(parsed.head.headers.get('x-thing'), 'a b');
  assert.is(parsed.head.headers.get('Host'), 'h');
  assert.is(parsed.head.headers.get('empty'), '');
  assert.equal(parsed.head.headers.toObject(), { 'x-thing': 'a b', host: 'h', empty: '' });
});

test('empty list elements are ignored (RFC 9110 section 5.6.1)', () => {
  const parsed = new HttpRequestParser().push(Buffer.from('GET / HTTP/1.1\r\nConnection: , keep-alive,,Upgrade ,\r\n\r\n'))!;
  assert.equal(parsed.head.headers.list('connection'), ['keep-alive', 'Upgrade']);
});

test('empty lines before the request line are skipped (RFC 9112 section 2.2)', () => {
  const parsed = new HttpRequestParser().push(Buffer.from(`\r\n\r\n${REQUEST}`))!;
  assertRequest(parsed.head);
});

test('head of exactly the limit is accepted; one byte more is 431', () => {
  const limit = Buffer.byteLength(REQUEST);
  assert.ok(new HttpRequestParser(limit).push(Buffer.from(REQUEST)));
  expectError(() => new HttpRequestParser(limit - 1).push(Buffer.from(REQUEST)), 431, 'larger than the limit');
});

test('default limit is 16 KiB: a header block over it is 431, also when it arrives byte by byte', () => {
  const big = `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(16 * 1024)}\r\n\r\n`;
  expectError(() => new HttpRequestParser().push(Buffer.from(big)), 431, '16384 bytes');
  const parser = new HttpRequestParser();
  expectError(() => {
    for (const byte of Buffer.from(big)) parser.push(Buffer.from([byte]));
  }, 431, '16384 bytes');
});

test('limit is checked before the end of the head arrives (no waiting for CRLF CRLF)', () => {
  const parser = new HttpRequestParser(64);
  expectError(() => parser.push(Buffer.alloc(65, 'a')), 431, '64 bytes');
});

test('malformed heads are 400', () => {
  const cases: Array<[string, string]> = [
    ['GET /\r\n\r\n', 'malformed HTTP request line'],
    ['GET  / HTTP/1.1\r\n\r\n', 'malformed HTTP request line'],
    ['GET / HTTP/1.1 \r\n\r\n', 'malformed HTTP request line'],
    ['GET / http/1.1\r\n\r\n', 'malformed HTTP request line'],
    ['GET / HTTP/11\r\n\r\n', 'malformed HTTP request line'],
    ['G@T / HTTP/1.1\r\n\r\n', 'malformed HTTP request line'],
    ['GET /a b HTTP/1.1\r\n\r\n', 'malformed HTTP request line'],
    ['GET / HTTP/1.1\r\nHost h\r\n\r\n', 'without a colon'],
    ['GET / HTTP/1.1\r\nHost : h\r\n\r\n', 'whitespace before the colon'],
    ['GET / HTTP/1.1\r\n: h\r\n\r\n', 'invalid header name'],
    ['GET / HTTP/1.1\r\nHo(st: h\r\n\r\n', 'invalid header name'],
    ['GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n', 'obsolete line folding'],
    ['GET / HTTP/1.1\r\nHost: h\x00x\r\n\r\n', 'control character'],
    ['GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n', 'control character'],
    ['GET / HTTP/1.1\nHost: h\r\n\r\n', 'bare LF'],
    ['GET / HTTP/1.1\r\nHost: h\rx\r\n\r\n', 'bare CR'],
    ['\rGET / HTTP/1.1\r\n\r\n', 'bare CR'],
  ];
  for (const [head, message] of cases) {
    expectError(() => new HttpRequestParser().push(Buffer.from(head, 'latin1')), 400, message);
  }
});

test('a bare LF is refused as soon as it arrives, without waiting for the end of the head', () => {
  const parser = new HttpRequestParser();
  expectError(() => parser.push(Buffer.from('GET / HTTP/1.1\n')), 400, 'bare LF');
});

test('parses a 101 response; frame bytes after it are returned', () => {
  const response =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
  const serverFrame = Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  const bytes = Buffer.concat([Buffer.from(response), serverFrame]);
  for (let split = 0; split <= bytes.length; split++) {
    const parser = new HttpResponseParser();
    let parsed = parser.push(bytes.subarray(0, split));
    let after: Buffer = parsed ? Buffer.concat([parsed.rest, bytes.subarray(split)]) : Buffer.alloc(0);
    if (!parsed) {
      parsed = parser.push(bytes.subarray(split))!;
      after = parsed.rest;
    }
    assert.is(parsed.head.status, 101);
    assert.is(parsed.head.reason, 'Switching Protocols');
    assert.is(parsed.head.statusLine, 'HTTP/1.1 101 Switching Protocols');
    assert.is(parsed.head.headers.get('sec-websocket-accept'), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal([...after], [...serverFrame], `split at ${split}`);
  }
});

test('status lines: reason may be empty or missing; malformed ones are refused', () => {
  assert.is(new HttpResponseParser().push(Buffer.from('HTTP/1.1 404 \r\n\r\n'))!.head.reason, '');
  assert.is(new HttpResponseParser().push(Buffer.from('HTTP/1.1 404\r\n\r\n'))!.head.status, 404);
  assert.is(new HttpResponseParser().push(Buffer.from('HTTP/1.0 200 OK fine\r\n\r\n'))!.head.reason, 'OK fine');
  for (const line of ['HTTP/1.1 40 Nope', 'HTTP/1.1 4040 Nope', 'HTTP/1.1  404 Nope', 'SIP/2.0 200 OK', 'HTTP/1.1 abc OK']) {
    expectError(() => new HttpResponseParser().push(Buffer.from(`${line}\r\n\r\n`)), 400, 'malformed HTTP status line');
  }
});

test('a head in one chunk (fast path) and byte by byte (byte loop) give the same head, rest and errors', () => {
  const heads = [
    REQUEST,
    'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
    '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\r\n\r\n',
    'GET / HTTP/1.1\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: ' + 'a'.repeat(200) + '\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a',
    'GET / HTTP/1.1\r\n Host: a\r\n\r\n',
  ];
  const outcome = (chunks: Buffer[], limit: number) => {
    const parser = new HttpRequestParser(limit);
    try {
      for (const [index, chunk] of chunks.entries()) {
        const parsed = parser.push(chunk);
        if (parsed) return { head: { ...parsed.head, headers: parsed.head.headers.toObject() }, rest: Buffer.concat([parsed.rest, ...chunks.slice(index + 1)]).toString('latin1') };
      }
      return 'incomplete';
    } catch (error) {
      assert.instance(error, WsHandshakeError);
      return `${(error as WsHandshakeError).status} ${(error as Error).message}`;
    }
  };
  for (const head of heads) {
    for (const limit of [64, 16 * 1024]) {
      const bytes = Buffer.concat([Buffer.from(head, 'latin1'), FRAME]);
      const whole = outcome([bytes], limit);
      const byteByByte = outcome([...bytes].map((byte) => Buffer.of(byte)), limit);
      assert.equal(whole, byteByByte, `${JSON.stringify(head.slice(0, 40))}, limit ${limit}`);
    }
  }
});

test.run();
