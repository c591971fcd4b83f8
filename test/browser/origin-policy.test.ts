import { createServer } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serveAccessCheck } from '../../src/web/access-check.ts';
import type { AccessAnswer } from '../../src/web/access-check.ts';
import { HostCheck } from '../../src/web/host-check.ts';
import { OriginPolicy, parseAllowedOrigin } from '../../src/web/origin-policy.ts';
import { closeServer, listenOnFreePort, LOOPBACK } from '../helpers/ports.ts';

const policy = new OriginPolicy([], new HostCheck([], 'lab-box'));

test('connections without Origin (node peers, scripts) are allowed', () => {
  assert.is(policy.check(undefined, '10.0.0.5:7070').allowed, true);
  assert.is(policy.check(undefined, undefined).allowed, true);
});

test('a page served by the node itself is allowed: Origin equals the Host it connects to', () => {
  for (const [origin, host] of [
    ['http://127.0.0.1:7070', '127.0.0.1:7070'],
    ['http://192.168.1.20:7070', '192.168.1.20:7070'],
    ['http://[::1]:7070', '[::1]:7070'],
    ['http://localhost:7070', 'localhost:7070'],
    ['http://lab-box:7070', 'lab-box:7070'],
    ['http://lab-box.local:7070', 'LAB-BOX.local:7070'],
    ['http://10.0.0.5', '10.0.0.5:80'],
    ['https://10.0.0.5', '10.0.0.5'],
  ]) {
    assert.equal(policy.check(origin, host), { allowed: true, reason: 'the page was served by this node' }, `${origin} -> ${host}`);
  }
});

test('pages from other origins are refused with a reason naming --allow-origin', () => {
  for (const [origin, host] of [
    ['http://127.0.0.1:8080', '127.0.0.1:7070'],
    ['http://evil.example', '127.0.0.1:7070'],
    ['null', '127.0.0.1:7070'],
    ['http://127.0.0.1:7070', undefined],
    ['ftp://127.0.0.1:7070', '127.0.0.1:7070'],
  ] as const) {
    const verdict = policy.check(origin, host);
    assert.is(verdict.allowed, false, `${origin} -> ${host}`);
    assert.match(verdict.reason, `--allow-origin ${origin}`);
  }
});

test('a foreign name pointing at the node (DNS rebinding) is not the node own origin', () => {
  const verdict = policy.check('http://attacker.example:7070', 'attacker.example:7070');
  assert.is(verdict.allowed, false);
  assert.match(verdict.reason, /attacker\.example is not this machine's/);
});

test('--allow-origin adds exact origins, "null" and "*"', () => {
  const listed = new OriginPolicy(['http://app.example:3000/', 'null'], new HostCheck([], 'lab-box'));
  assert.equal(listed.allowed, ['http://app.example:3000', 'null']);
  assert.is(listed.check('http://app.example:3000', '127.0.0.1:7070').allowed, true);
  assert.is(listed.check('null', '127.0.0.1:7070').allowed, true);
  assert.is(listed.check('http://app.example:3001', '127.0.0.1:7070').allowed, false);
  assert.is(listed.check('https://app.example:3000', '127.0.0.1:7070').allowed, false);
  assert.is(new OriginPolicy(['*']).check('http://anything.example', '127.0.0.1:1').allowed, true);
});

test('parseAllowedOrigin normalises origins and names what is wrong with bad values', () => {
  assert.is(parseAllowedOrigin('HTTP://App.Example:80'), 'http://app.example');
  assert.is(parseAllowedOrigin(' * '), '*');
  assert.throws(() => parseAllowedOrigin('app.example'), /^"app.example" is not an origin like http:\/\/host:port, "null" or "\*"$/);
  assert.throws(() => parseAllowedOrigin('ws://app.example'), /"ws:\/\/app.example" is not an http:\/\/ or https:\/\/ origin/);
  assert.throws(() => parseAllowedOrigin('http://app.example/path'), /without a path/);
});

test('GET /access answers any origin about itself, readable cross-origin', async () => {
  const server = createServer((request, response) => {
    if (!serveAccessCheck(request, response, { policy, auth: true, mesh: 'lab' })) response.writeHead(404).end();
  });
  const port = await listenOnFreePort(server);
  try {
    const base = `http://${LOOPBACK}:${port}`;
    const foreign = await fetch(`${base}/access`, { headers: { origin: 'http://127.0.0.1:9' } });
    assert.is(foreign.status, 200);
    assert.is(foreign.headers.get('access-control-allow-origin'), '*');
    assert.is(foreign.headers.get('cache-control'), 'no-store');
    const answer = (await foreign.json()) as AccessAnswer;
    assert.equal([answer.allowed, answer.origin, answer.auth, answer.mesh], [false, 'http://127.0.0.1:9', true, 'lab']);
    assert.match(answer.reason, '--allow-origin http://127.0.0.1:9');
    const same = (await (await fetch(`${base}/access?x=1`)).json()) as AccessAnswer;
    assert.equal([same.allowed, same.origin], [true, `http://${LOOPBACK}:${port}`], 'a same-origin fetch sends no Origin');
    assert.is((await fetch(`${base}/access`, { method: 'DELETE' })).status, 405);
    assert.is((await fetch(`${base}/accessory`)).status, 404);
  } finally {
    await closeServer(server);
  }
});

test.run();
