import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WsmeshError, WsmeshOptionError } from '../../src/errors.ts';
import { createNode } from '../../src/node.ts';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';

/** What a plain-JavaScript caller can pass, past the types. */
type Untyped = any;

function refusal(call: () => unknown): WsmeshOptionError {
  try {
    call();
  } catch (error) {
    assert.instance(error, WsmeshOptionError);
    assert.instance(error, WsmeshError);
    assert.is((error as WsmeshOptionError).code, 'invalid-option');
    return error as WsmeshOptionError;
  }
  throw new assert.Assertion({ message: 'expected a WsmeshOptionError', generated: false, operator: 'throws', expects: '', actual: '' });
}

test('createNode: a misspelt key is refused, naming the valid ones (mDNS must not silently stay on)', () => {
  const { message } = refusal(() => createNode({ mdsn: false } as Untyped));
  assert.match(message, "createNode(): unknown option 'mdsn' (did you mean mdns?); valid options: allowHosts, allowOrigins, compression, discovery,");
  assert.match(message, 'webUi');
  assert.match(refusal(() => createNode({ reconnect: { minimum: 5 } } as Untyped)).message, "createNode() option reconnect: unknown option 'minimum'; valid options: jitter, max, min");
});

test('createNode: wrong types are named with what was given', () => {
  const cases: Array<[object, string]> = [
    [{ port: '7447' }, "createNode(): option port must be a number, got the string '7447'"],
    [{ peers: 'ws://127.0.0.1:7447/' }, "createNode(): option peers must be an array of strings, got the string 'ws://127.0.0.1:7447/'"],
    [{ peers: [7447] }, 'createNode(): option peers must be an array of strings, got an array'],
    [{ mdns: 'no' }, "createNode(): option mdns must be a boolean, got the string 'no'"],
    [{ reconnect: 5 }, 'createNode(): option reconnect must be an object, got the number 5'],
    [{ httpHandler: {} }, 'createNode(): option httpHandler must be a function, got an object'],
    [{ secret: null }, 'createNode(): option secret must be a string, got null'],
  ];
  for (const [options, message] of cases) assert.is(refusal(() => createNode(options as Untyped)).message, message);
  assert.is(refusal(() => createNode('wsmesh' as Untyped)).message, "createNode(): options must be an object, got the string 'wsmesh'");
  assert.is(refusal(() => createNode({ port: 70000 })).message, 'option port must be an integer 0..65535, got 70000');
});

test('createNode: peer URLs with a #fragment are refused', () => {
  assert.match(refusal(() => createNode({ peers: ['ws://127.0.0.1:7447/#x'] })).message, 'must not have a #fragment');
  assert.match(refusal(() => createNode({ peers: ['ws://127.0.0.1:7447/#'] })).message, 'must not have a #fragment');
});

test('new WebSocketServer and connect() check their options the same way', async () => {
  assert.match(refusal(() => new WebSocketServer({ noServer: true, maxPaylod: 10 } as Untyped)).message, "new WebSocketServer(): unknown option 'maxPaylod' (did you mean maxPayload?)");
  assert.is(refusal(() => new WebSocketServer({ port: '80' } as Untyped)).message, "new WebSocketServer(): option port must be a number, got the string '80'");
  const rejected = await connect('ws://127.0.0.1:1/', { protocol: 'chat' } as Untyped).catch((error: unknown) => error);
  assert.instance(rejected, WsmeshOptionError);
  assert.match((rejected as Error).message, "connect(): unknown option 'protocol' (did you mean protocols?)");
  const wrongType = await connect('ws://127.0.0.1:1/', { handshakeTimeout: '5s' } as Untyped).catch((error: unknown) => error);
  assert.is((wrongType as Error).message, "connect(): option handshakeTimeout must be a number, got the string '5s'");
});

test.run();
