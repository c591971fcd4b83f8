import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildClientRequest, parseWsUrl, verifyServerResponse } from '../../src/handshake/client-handshake.ts';
import { HttpResponseParser } from '../../src/handshake/http-head-parser.ts';
import { WsHandshakeError } from '../../src/protocol/errors.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function expectHandshakeError(run: () => unknown, messagePart: string, status?: number): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, WsHandshakeError);
    assert.ok((error as Error).message.includes(messagePart), (error as Error).message);
    assert.is((error as WsHandshakeError).status, status);
    return;
  }
  assert.unreachable(`expected WsHandshakeError containing ${messagePart}`);
}

test('parseWsUrl: host names, IPv4, IPv6 literals, default ports, path and query', () => {
  assert.equal(parseWsUrl('ws://example.com/chat?room=1'), {
    href: 'ws://example.com/chat?room=1',
    secure: false,
    host: 'example.com',
    port: 80,
    hostHeader: 'example.com',
    resource: '/chat?room=1',
    credentials: undefined,
  });
  const ipv4 = parseWsUrl('ws://127.0.0.1:8080');
  assert.is(ipv4.host, '127.0.0.1');
  assert.is(ipv4.port, 8080);
  assert.is(ipv4.hostHeader, '127.0.0.1:8080');
  assert.is(ipv4.resource, '/');
  const ipv6 = parseWsUrl('ws://[::1]:9000/');
  assert.is(ipv6.host, '::1');
  assert.is(ipv6.port, 9000);
  assert.is(ipv6.hostHeader, '[::1]:9000');
  assert.is(parseWsUrl('ws://[::1]/').hostHeader, '[::1]');
  assert.is(parseWsUrl('ws://EXAMPLE.com:80/').hostHeader, 'example.com', 'default port omitted, host lower-cased');
  const secure = parseWsUrl('wss://example.com/');
  assert.ok(secure.secure);
  assert.is(secure.port, 443);
  assert.is(parseWsUrl('ws://user:p%40ss@h/').credentials, 'user:p@ss');
});

test('parseWsUrl: refuses what is not a WebSocket URL, naming the problem', () => {
  expectHandshakeError(() => parseWsUrl('not a url'), 'invalid WebSocket URL "not a url"');
  expectHandshakeError(() => parseWsUrl('http://example.com/'), 'must start with ws:// or wss://');
  expectHandshakeError(() => parseWsUrl('ws://example.com/#top'), 'must not have a fragment');
  expectHandshakeError(() => parseWsUrl('ws://example.com/#'), 'must not have a fragment');
});

test('buildClientRequest: exact bytes of the RFC 6455 section 1.2 request', () => {
  const request = buildClientRequest(parseWsUrl('ws://server.example.com/chat'), {
    key: KEY,
    protocols: ['chat', 'superchat'],
    origin: 'http://example.com',
  });
  assert.is(
    request.bytes.toString('latin1'),
    'GET /chat HTTP/1.1\r\n' +
      'Host: server.example.com\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\n` +
      'Sec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Protocol: chat, superchat\r\n' +
      'Origin: http://example.com\r\n' +
      '\r\n',
  );
  assert.is(request.key, KEY);
});

test('buildClientRequest: random key, IPv6 Host, query, credentials, extra headers', () => {
  const request = buildClientRequest(parseWsUrl('ws://u:pw@[::1]:8080/p?q=1'), { headers: { 'X-Trace': 'abc' } });
  const text = request.bytes.toString('latin1');
  assert.ok(/^[A-Za-z0-9+/]{22}==$/.test(request.key));
  assert.ok(text.startsWith('GET /p?q=1 HTTP/1.1\r\nHost: [::1]:8080\r\n'), text);
  assert.ok(text.includes(`\r\nAuthorization: Basic ${Buffer.from('u:pw').toString('base64')}\r\n`));
  assert.ok(text.endsWith('\r\nX-Trace: abc\r\n\r\n'));
  assert.is(buildClientRequest(parseWsUrl('ws://h/')).key === request.key, false);
});

test('buildClientRequest: Host and Origin may be overridden through headers', () => {
  const text = buildClientRequest(parseWsUrl('ws://127.0.0.1:1/'), {
    key: KEY,
    origin: 'http://a',
    headers: { host: 'virtual.example', Origin: 'http://b' },
  }).bytes.toString();
  assert.not.ok(text.includes('127.0.0.1'));
  assert.not.ok(text.includes('http://a'));
  assert.ok(text.includes('\r\nhost: virtual.example\r\n'));
  assert.ok(text.includes('\r\nOrigin: http://b\r\n'));
});

test('buildClientRequest: refuses bad protocols and headers (no header injection)', () => {
  const url = parseWsUrl('ws://h/');
  expectHandshakeError(() => buildClientRequest(url, { protocols: ['a b'] }), 'invalid subprotocol name "a b"');
  expectHandshakeError(() => buildClientRequest(url, { protocols: [''] }), 'invalid subprotocol name ""');
  expectHandshakeError(() => buildClientRequest(url, { protocols: ['a', 'a'] }), 'must be unique');
  expectHandshakeError(() => buildClientRequest(url, { headers: { 'X-A': 'v\r\nEvil: 1' } }), 'invalid value for header X-A');
  expectHandshakeError(() => buildClientRequest(url, { headers: { 'X A': 'v' } }), 'invalid header name "X A"');
  expectHandshakeError(() => buildClientRequest(url, { origin: 'http://a\nb' }), 'invalid value for header Origin');
  for (const name of ['Upgrade', 'connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Extensions', 'Sec-WebSocket-Protocol']) {
    expectHandshakeError(() => buildClientRequest(url, { headers: { [name]: 'x' } }), `header ${name} is set by the handshake`);
  }
});

const GOOD_LINES = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`];

function response(lines: string[]) {
  return new HttpResponseParser().push(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'))!.head;
}

function replaced(name: string, ...lines: string[]): string[] {
  return [...GOOD_LINES.filter((line) => !line.startsWith(`${name}:`)), ...lines];
}

test('verifyServerResponse: accepts the RFC 6455 answer and returns the agreed protocol', () => {
  assert.is(verifyServerResponse(response(GOOD_LINES), { key: KEY, protocols: [] }), '');
  const withProtocol = response([...GOOD_LINES, 'Sec-WebSocket-Protocol: chat']);
  assert.is(verifyServerResponse(withProtocol, { key: KEY, protocols: ['superchat', 'chat'] }), 'chat');
  const tokensAnyCase = response(replaced('Connection', 'Connection: keep-alive, UPGRADE').map((l) => l.replace('Upgrade: websocket', 'Upgrade: WebSocket')));
  assert.is(verifyServerResponse(tokensAnyCase, { key: KEY, protocols: [] }), '');
});

test('verifyServerResponse: every failure quotes the status line and carries the status', () => {
  const offer = { key: KEY, protocols: ['chat'] };
  const cases: Array<[string[], string, number]> = [
    [['HTTP/1.1 403 Forbidden', 'Content-Length: 0'], 'server refused the WebSocket handshake: "HTTP/1.1 403 Forbidden"', 403],
    [['HTTP/1.1 200 OK'], '"HTTP/1.1 200 OK"', 200],
    [['HTTP/1.0 101 Switching Protocols', ...GOOD_LINES.slice(1)], 'must be HTTP/1.1, got HTTP/1.0', 101],
    [replaced('Upgrade'), 'Upgrade header must be "websocket", got "(none)"', 101],
    [replaced('Upgrade', 'Upgrade: h2c'), 'got "h2c"', 101],
    [replaced('Connection'), 'Connection header must contain "Upgrade", got "(none)"', 101],
    [replaced('Sec-WebSocket-Accept'), 'wrong Sec-WebSocket-Accept "(none)"', 101],
    [replaced('Sec-WebSocket-Accept', 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='), `expected ${ACCEPT}`, 101],
    [[...GOOD_LINES, `Sec-WebSocket-Accept: ${ACCEPT}`], 'wrong Sec-WebSocket-Accept', 101],
    [[...GOOD_LINES, 'Sec-WebSocket-Extensions: permessage-deflate'], 'extension "permessage-deflate" that was not offered', 101],
    [[...GOOD_LINES, 'Sec-WebSocket-Protocol: superchat'], 'subprotocol "superchat", which was not offered', 101],
    [[...GOOD_LINES, 'Sec-WebSocket-Protocol: chat, chat'], 'more than one subprotocol', 101],
  ];
  for (const [lines, message, status] of cases) {
    expectHandshakeError(() => verifyServerResponse(response(lines), offer), message, status);
  }
  expectHandshakeError(
    () => verifyServerResponse(response([...GOOD_LINES, 'Sec-WebSocket-Protocol: chat']), { key: KEY, protocols: [] }),
    '(server answered "HTTP/1.1 101 Switching Protocols")',
    101,
  );
});

test.run();
