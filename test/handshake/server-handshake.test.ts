import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeaderFields } from '../../src/handshake/header-fields.ts';
import { HttpRequestParser } from '../../src/handshake/http-head-parser.ts';
import {
  answerHandshake,
  errorResponse,
  preferProtocols,
  targetPath,
  type HandshakeRequest,
  type ServerHandshakeOptions,
} from '../../src/handshake/server-handshake.ts';
import type { IncomingMessage } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { requestFromIncomingMessage } from '../../src/transport/incoming-message.ts';

const BASE_LINES = [
  'Host: server.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
];

/** A request parsed by our own parser; `replace` maps a header name to its new line(s), null removes it. */
function request(replace: Record<string, string[] | null> = {}, requestLine = 'GET /chat HTTP/1.1'): HandshakeRequest {
  const lines = BASE_LINES.filter((line) => !(line.split(':')[0].toLowerCase() in replace));
  for (const value of Object.values(replace)) if (value) lines.push(...value);
  const text = `${requestLine}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
  return new HttpRequestParser().push(Buffer.from(text, 'latin1'))!.head;
}

function refusal(req: HandshakeRequest, options: ServerHandshakeOptions = {}): { status: number; message: string; response: string } {
  const outcome = answerHandshake(req, options);
  if (outcome.accepted) throw new Error('expected a refusal');
  assert.is(outcome.error.name, 'WsHandshakeError');
  return { status: outcome.error.status!, message: outcome.error.message, response: outcome.response.toString('latin1') };
}

test('accepts the request of RFC 6455 section 1.2 with the exact 101 response', () => {
  const outcome = answerHandshake(request());
  assert.ok(outcome.accepted);
  assert.is(
    outcome.response.toString('latin1'),
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
      '\r\n',
  );
  if (outcome.accepted) assert.is(outcome.protocol, '');
});

test('token matching: Firefox "keep-alive, Upgrade", any case of websocket/upgrade, repeated lines', () => {
  for (const connection of [['Connection: keep-alive, Upgrade'], ['Connection: UPGRADE'], ['Connection: keep-alive', 'Connection: upgrade']]) {
    assert.ok(answerHandshake(request({ connection })).accepted, connection.join('|'));
  }
  for (const upgrade of [['Upgrade: WebSocket'], ['Upgrade: h2c, websocket'], ['Upgrade: h2c', 'Upgrade: WEBSOCKET']]) {
    assert.ok(answerHandshake(request({ upgrade })).accepted, upgrade.join('|'));
  }
});

test('HTTP/1.2 is "1.1 or higher"; absolute-form target is accepted', () => {
  assert.ok(answerHandshake(request({}, 'GET /chat HTTP/1.2')).accepted);
  assert.ok(answerHandshake(request({}, 'GET ws://server.example.com/chat HTTP/1.1')).accepted);
});

test('every refusal has its status and a message naming the problem', () => {
  const cases: Array<[HandshakeRequest, number, string]> = [
    [request({}, 'POST /chat HTTP/1.1'), 405, 'must use GET, got "POST"'],
    [request({}, 'get /chat HTTP/1.1'), 405, 'must use GET, got "get"'],
    [request({}, 'GET /chat HTTP/1.0'), 400, 'HTTP/1.1 or higher, got HTTP/1.0'],
    [request({}, 'GET /chat HTTP/2.0'), 505, 'needs HTTP/1.1, got HTTP/2.0'],
    [request({}, 'GET chat HTTP/1.1'), 400, 'request target must be a path'],
    [request({}, 'GET * HTTP/1.1'), 400, 'request target must be a path'],
    [request({ host: null }), 400, 'missing Host header'],
    [request({ host: ['Host: a', 'Host: b'] }), 400, 'more than one Host header'],
    [request({ host: ['Host: a b'] }), 400, 'invalid Host header'],
    [request({ host: ['Host: '] }), 400, 'invalid Host header'],
    [request({ 'content-length': ['Content-Length: 5'] }), 400, 'must not have a body'],
    [request({ 'transfer-encoding': ['Transfer-Encoding: chunked'] }), 400, 'must not have a body'],
    [request({ upgrade: null }), 426, 'Upgrade header must contain the token "websocket", got "(none)"'],
    [request({ upgrade: ['Upgrade: websockets'] }), 426, 'got "websockets"'],
    [request({ connection: null }), 426, 'Connection header must contain the token "Upgrade", got "(none)"'],
    [request({ connection: ['Connection: keep-alive'] }), 426, 'got "keep-alive"'],
    [request({ 'sec-websocket-version': null }), 426, 'Sec-WebSocket-Version must be 13, got "(none)"'],
    [request({ 'sec-websocket-version': ['Sec-WebSocket-Version: 8'] }), 426, 'got "8"'],
    [request({ 'sec-websocket-version': ['Sec-WebSocket-Version: 13, 8'] }), 426, 'got "13, 8"'],
    [request({ 'sec-websocket-version': ['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 13'] }), 426, 'got "13, 13"'],
    [request({ 'sec-websocket-key': null }), 400, 'missing Sec-WebSocket-Key header'],
    [request({ 'sec-websocket-key': ['Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==', 'Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=='] }), 400, 'more than one Sec-WebSocket-Key'],
    [request({ 'sec-websocket-key': ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ'] }), 400, 'base64 of 16 bytes, got "dGhlIHNhbXBsZSBub25jZQ"'],
    [request({ 'sec-websocket-key': ['Sec-WebSocket-Key: c2hvcnQ='] }), 400, 'base64 of 16 bytes'],
    [request({ 'sec-websocket-protocol': ['Sec-WebSocket-Protocol: chat, a b'] }), 400, 'invalid subprotocol name "a b"'],
    [request({ 'sec-websocket-protocol': ['Sec-WebSocket-Protocol: chat, {x}'] }), 400, 'invalid subprotocol name "{x}"'],
  ];
  for (const [req, status, message] of cases) {
    const refused = refusal(req);
    assert.is(refused.status, status, message);
    assert.ok(refused.message.includes(message), `${refused.message} should include ${message}`);
    assert.ok(refused.response.startsWith(`HTTP/1.1 ${status} `), refused.response);
  }
});

test('error response bytes: status line, Connection: close, text body with its exact length', () => {
  const body = 'missing Sec-WebSocket-Key header\n';
  assert.is(
    refusal(request({ 'sec-websocket-key': null })).response,
    'HTTP/1.1 400 Bad Request\r\n' +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      '\r\n' +
      body,
  );
});

test('405 carries Allow: GET; 426 carries Upgrade and Sec-WebSocket-Version: 13', () => {
  assert.is(
    errorResponse(405, 'x').toString(),
    'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nAllow: GET\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nx\n',
  );
  assert.is(
    refusal(request({ 'sec-websocket-version': ['Sec-WebSocket-Version: 8'] })).response,
    'HTTP/1.1 426 Upgrade Required\r\n' +
      'Connection: Upgrade, close\r\n' +
      'Upgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      'Content-Length: 42\r\n' +
      '\r\n' +
      'Sec-WebSocket-Version must be 13, got "8"\n',
  );
});

test('Content-Length of the body counts bytes, not characters', () => {
  const response = errorResponse(400, 'héllo ✓').toString('utf8');
  assert.ok(response.includes('Content-Length: 11\r\n'), response);
  assert.ok(response.endsWith('\r\n\r\nhéllo ✓\n'));
});

test('subprotocol: server preference order among the offered ones; never one not offered', () => {
  const offer = { 'sec-websocket-protocol': ['Sec-WebSocket-Protocol: chat, superchat', 'Sec-WebSocket-Protocol: v2'] };
  const choose = (preference: string[]) => {
    const outcome = answerHandshake(request(offer), { selectProtocol: preferProtocols(preference) });
    assert.ok(outcome.accepted);
    return outcome.accepted ? { protocol: outcome.protocol, offered: outcome.offeredProtocols, response: outcome.response.toString() } : null!;
  };
  assert.is(choose(['v2', 'chat']).protocol, 'v2');
  assert.is(choose(['superchat', 'chat']).protocol, 'superchat');
  assert.equal(choose([]).offered, ['chat', 'superchat', 'v2']);
  assert.ok(choose(['chat']).response.includes('\r\nSec-WebSocket-Protocol: chat\r\n\r\n'));
  const none = choose(['mqtt']);
  assert.is(none.protocol, '');
  assert.not.ok(none.response.includes('Sec-WebSocket-Protocol'), 'no acceptable protocol: answer without the header');
});

test('subprotocol: names are compared exactly (case-sensitive)', () => {
  const outcome = answerHandshake(request({ 'sec-websocket-protocol': ['Sec-WebSocket-Protocol: Chat'] }), {
    selectProtocol: preferProtocols(['chat']),
  });
  assert.ok(outcome.accepted && outcome.protocol === '');
});

test('subprotocol: nothing offered -> the selector is not asked and no header is sent', () => {
  let asked = false;
  const outcome = answerHandshake(request(), { selectProtocol: () => ((asked = true), 'chat') });
  assert.ok(outcome.accepted);
  assert.not.ok(asked);
  assert.not.ok(outcome.response.toString().includes('Sec-WebSocket-Protocol'));
});

test('subprotocol: a selector answering a protocol that was not offered is a 500, not a lie to the client', () => {
  const refused = refusal(request({ 'sec-websocket-protocol': ['Sec-WebSocket-Protocol: chat'] }), { selectProtocol: () => 'other' });
  assert.is(refused.status, 500);
  assert.ok(refused.message.includes('"other", which the client did not offer'));
});

test('extensions are declined: no Sec-WebSocket-Extensions in the answer (Chromium offers permessage-deflate)', () => {
  const outcome = answerHandshake(
    request({ 'sec-websocket-extensions': ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'] }),
  );
  assert.ok(outcome.accepted);
  assert.not.ok(outcome.response.toString().toLowerCase().includes('extensions'));
});

test('origin hook: sees the Origin (or undefined); false -> 403; a throwing hook -> 500', () => {
  const seen: Array<string | undefined> = [];
  const verifyOrigin = (origin: string | undefined) => (seen.push(origin), origin === 'http://good.example');
  assert.ok(answerHandshake(request({ origin: ['Origin: http://good.example'] }), { verifyOrigin }).accepted);
  const refused = refusal(request({ origin: ['Origin: http://evil.example'] }), { verifyOrigin });
  assert.is(refused.status, 403);
  assert.is(refused.message, 'origin "http://evil.example" is not allowed');
  assert.is(refusal(request(), { verifyOrigin }).status, 403);
  assert.equal(seen, ['http://good.example', 'http://evil.example', undefined]);
  const thrown = refusal(request(), {
    verifyOrigin: () => {
      throw new Error('database down');
    },
  });
  assert.is(thrown.status, 500);
  assert.is(thrown.message, 'verifyOrigin threw: database down');
});

test('protocol checks come before the origin hook', () => {
  let asked = false;
  const refused = refusal(request({ 'sec-websocket-key': null }), { verifyOrigin: () => ((asked = true), true) });
  assert.is(refused.status, 400);
  assert.not.ok(asked);
});

test('requestFromIncomingMessage: uses headersDistinct so repeated fields stay visible', () => {
  const incoming = {
    method: 'GET',
    url: '/chat?x=1',
    httpVersion: '1.1',
    headersDistinct: {
      host: ['h:1'],
      upgrade: ['websocket'],
      connection: ['Upgrade'],
      'sec-websocket-key': ['dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ=='],
      'sec-websocket-version': ['13'],
    },
  } as unknown as IncomingMessage;
  const req = requestFromIncomingMessage(incoming);
  assert.is(req.target, '/chat?x=1');
  assert.is(req.headers.count('sec-websocket-key'), 2);
  assert.is(refusal(req).message, 'more than one Sec-WebSocket-Key header');
});

test('targetPath: origin-form and absolute-form; null for others', () => {
  assert.is(targetPath('/a/b?c=d'), '/a/b');
  assert.is(targetPath('/'), '/');
  assert.is(targetPath('ws://h:1/x?y'), '/x');
  assert.is(targetPath('http://h'), '/');
  assert.is(targetPath('*'), null);
  assert.is(targetPath('h:80'), null);
});

test('HeaderFields.fromDistinct skips undefined entries', () => {
  const fields = HeaderFields.fromDistinct({ a: ['1', '2'], b: undefined });
  assert.is(fields.get('A'), '1, 2');
  assert.not.ok(fields.has('b'));
});

test('the sans-I/O handshake imports no I/O module (node:http, node:net, node:tls, node:stream)', () => {
  const dir = new URL('../../src/handshake/', import.meta.url);
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    for (const forbidden of ['node:http', 'node:https', 'node:net', 'node:tls', 'node:stream']) {
      assert.not.ok(imports.includes(forbidden), `src/handshake/${file} imports ${forbidden}`);
    }
  }
});

test.run();
