import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeProof, verifyProof } from '../../src/mesh/auth.ts';
import { LinkHandshake, isArbiter } from '../../src/mesh/handshake.ts';
import type { HandshakeStep, LocalIdentity } from '../../src/mesh/handshake.ts';
import type { ControlMessage } from '../../src/mesh/envelope.ts';

function identity(id: string, extra: Partial<LocalIdentity> = {}): LocalIdentity {
  return { id, name: `n-${id}`, mesh: 'm', kind: 'node', listen: [], boot: `boot-${id}`, ...extra };
}

/** Runs two handshakes against each other, the arbiter admitting; returns the final states and failures. */
function pair(a: LinkHandshake, b: LinkHandshake): { fails: Array<{ side: string; code: number; reason: string }> } {
  const fails: Array<{ side: string; code: number; reason: string }> = [];
  const queues: Record<string, ControlMessage[]> = { a: [a.hello()], b: [b.hello()] };
  const sides = { a, b };
  for (let round = 0; round < 10; round++) {
    for (const [from, to] of [['a', 'b'], ['b', 'a']] as const) {
      const message = queues[from].shift();
      if (message === undefined || sides[to].state === 'failed') continue;
      const steps: HandshakeStep[] = sides[to].receive(message);
      for (const step of steps) {
        if (step.type === 'send') queues[to].push(step.message);
        if (step.type === 'fail') fails.push({ side: to, code: step.code, reason: step.reason });
        if (step.type === 'admit' && step.arbiter) queues[to].push(sides[to].welcome());
      }
    }
  }
  return { fails };
}

test('proof verifies only with the same secret, ids and nonce order', () => {
  const proof = computeProof('s3cret', 'a', 'na', 'nb');
  assert.ok(verifyProof('s3cret', proof, 'a', 'na', 'nb'));
  assert.not.ok(verifyProof('other', proof, 'a', 'na', 'nb'));
  assert.not.ok(verifyProof('s3cret', proof, 'b', 'na', 'nb'));
  assert.not.ok(verifyProof('s3cret', proof, 'a', 'nb', 'na'));
  assert.not.ok(verifyProof('s3cret', 'zz', 'a', 'na', 'nb'));
});

test('arbiter: smaller node id; the node when the other side is a browser', () => {
  assert.ok(isArbiter({ id: 'a', kind: 'node' }, { id: 'b', kind: 'node' }));
  assert.not.ok(isArbiter({ id: 'b', kind: 'node' }, { id: 'a', kind: 'node' }));
  assert.ok(isArbiter({ id: 'z', kind: 'node' }, { id: 'a', kind: 'browser' }));
  assert.not.ok(isArbiter({ id: 'a', kind: 'browser' }, { id: 'z', kind: 'node' }));
});

test('without secret: hello both ways, the arbiter welcomes, both established', () => {
  const a = new LinkHandshake(identity('a'));
  const b = new LinkHandshake(identity('b'));
  assert.equal(pair(a, b).fails, []);
  assert.is(a.state, 'established');
  assert.is(b.state, 'established');
  assert.is(b.remote!.id, 'a');
});

test('with the same secret: both prove, both established; the secret never appears in a message', () => {
  const a = new LinkHandshake(identity('a', { secret: 'top-secret' }));
  const b = new LinkHandshake(identity('b', { secret: 'top-secret' }));
  assert.ok(a.hello().auth);
  assert.not.match(JSON.stringify(a.hello()), 'top-secret');
  assert.equal(pair(a, b).fails, []);
  assert.is(a.state, 'established');
  assert.is(b.state, 'established');
});

test('wrong secret: both sides fail with 4001', () => {
  const { fails } = pair(new LinkHandshake(identity('a', { secret: 'x' })), new LinkHandshake(identity('b', { secret: 'y' })));
  assert.equal(fails.map((fail) => [fail.side, fail.code]).sort(), [['a', 4001], ['b', 4001]]);
});

test('secret on one side only: 4001 from both', () => {
  const { fails } = pair(new LinkHandshake(identity('a', { secret: 'x' })), new LinkHandshake(identity('b')));
  assert.equal(fails.map((fail) => fail.code), [4001, 4001]);
});

test('wrong mesh 4002, other version 4003, same id 4004', () => {
  assert.equal(pair(new LinkHandshake(identity('a')), new LinkHandshake(identity('b', { mesh: 'other' }))).fails.map((f) => f.code), [4002, 4002]);
  const a = new LinkHandshake(identity('a'));
  assert.equal(a.receive({ ...new LinkHandshake(identity('b')).hello(), v: 2 }), [{ type: 'fail', code: 4003, reason: 'protocol version 2, expected 1' }]);
  assert.equal(pair(new LinkHandshake(identity('a')), new LinkHandshake(identity('a'))).fails.map((f) => f.code), [4004, 4004]);
});

test('application or auth messages out of order fail the handshake', () => {
  const a = new LinkHandshake(identity('a'));
  assert.equal(a.receive({ t: 'msg', id: 'm', from: 'b', to: 'a', ttl: 1, hops: 0, data: 'x' }), [
    { type: 'fail', code: 4000, reason: 'expected hello, got msg' },
  ]);
  const b = new LinkHandshake(identity('b', { secret: 's' }));
  b.receive(new LinkHandshake(identity('a', { secret: 's' })).hello());
  assert.equal(b.receive({ t: 'welcome' }), [{ type: 'fail', code: 4001, reason: 'expected auth proof, got welcome' }]);
  const c = new LinkHandshake(identity('c'));
  c.receive(new LinkHandshake(identity('a')).hello());
  assert.is(c.state, 'await-welcome');
  assert.equal(c.receive({ t: 'ack', id: 'x', from: 'a', to: 'c', ttl: 1 }), [{ type: 'fail', code: 4000, reason: 'expected welcome, got ack' }]);
});

test.run();
