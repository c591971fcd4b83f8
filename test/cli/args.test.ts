import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CLI_PORT, UsageError, parseCliArgs } from '../../src/cli/args.ts';
import { formatPeerTable, printable } from '../../src/cli/format.ts';
import { parseInputLine } from '../../src/cli/input.ts';

test('defaults: fixed port, all interfaces, mDNS on', () => {
  const command = parseCliArgs([]);
  assert.equal(command, {
    help: false,
    json: false,
    wait: 10_000,
    warnings: [],
    node: {
      keyFile: undefined, ephemeralIdentity: false, name: undefined, mesh: undefined, host: '::', port: DEFAULT_CLI_PORT, secret: undefined, peers: [], mdns: true, interface: undefined,
      pingInterval: undefined, pingTimeout: undefined, allowOrigins: [], allowHosts: [], compression: undefined, maxPendingPerAddress: undefined,
    },
  });
});

test('--compression and --max-pending-per-address are checked and passed on', () => {
  const command = parseCliArgs(['--compression', 'all', '--max-pending-per-address', '3']);
  assert.ok(!command.help);
  if (command.help) return;
  assert.is(command.node.compression, 'all');
  assert.is(command.node.maxPendingPerAddress, 3);
  assert.throws(() => parseCliArgs(['--compression', 'gzip']), /--compression must be off, browsers or all, got "gzip"/);
  assert.throws(() => parseCliArgs(['--max-pending-per-address', '0']), /--max-pending-per-address must be an integer from 1 to 100000/);
});

test('the mesh limits map onto node options, checked; only those given are set', () => {
  const command = parseCliArgs([
    '--max-peers', '12', '--max-peers-per-address', '12', '--max-pending', '40', '--max-known-peers', '500', '--forget-after', '60000', '--no-dial-learnt',
  ]);
  assert.ok(!command.help);
  if (command.help) return;
  const { maxPeers, maxPeersPerAddress, maxPending, maxKnownPeers, forgetAfter, dialLearnt } = command.node;
  assert.equal({ maxPeers, maxPeersPerAddress, maxPending, maxKnownPeers, forgetAfter, dialLearnt }, {
    maxPeers: 12, maxPeersPerAddress: 12, maxPending: 40, maxKnownPeers: 500, forgetAfter: 60_000, dialLearnt: false,
  });
  const defaults = parseCliArgs([]);
  assert.ok(!defaults.help && !('maxPeers' in defaults.node) && !('dialLearnt' in defaults.node));
  assert.throws(() => parseCliArgs(['--max-peers', '0']), /--max-peers must be an integer from 1 to 100000, got "0"/);
  assert.throws(() => parseCliArgs(['--max-pending=-1']), /--max-pending must be an integer from 1 to 100000/);
  assert.throws(() => parseCliArgs(['--max-known-peers', 'many']), /--max-known-peers must be an integer from 1 to 1000000, got "many"/);
  assert.throws(() => parseCliArgs(['--forget-after', '1.5']), /--forget-after must be an integer/);
  assert.throws(() => parseCliArgs(['--max-peers-per-address', '']), /--max-peers-per-address must be an integer/);
  assert.throws(() => parseCliArgs(['--no-dial-learnt=yes']), (error: Error) => error instanceof UsageError && /--no-dial-learnt/.test(error.message));
});

test('--allow-host repeats and is normalised; a URL or a port is refused', () => {
  const command = parseCliArgs(['--allow-host', 'Mesh.Example.', '--allow-host', 'box.lan']);
  assert.ok(!command.help);
  if (command.help) return;
  assert.equal(command.node.allowHosts, ['mesh.example', 'box.lan']);
  assert.throws(() => parseCliArgs(['--allow-host', 'http://mesh.example']), /--allow-host "http:\/\/mesh.example" is not a host name/);
  assert.throws(() => parseCliArgs(['--allow-host', 'mesh.example:80']), /is not a host name like mesh.example.org/);
});

test('options map onto node options; --peer repeats and is normalised', () => {
  const command = parseCliArgs(['--name', 'n', '--port', '0', '--mesh', 'm', '--peer', 'ws://127.0.0.1:9', '--peer', 'ws://[::1]:8/x', '--no-mdns', '--json']);
  assert.ok(!command.help && command.json);
  if (command.help) return;
  assert.equal(command.node.peers, ['ws://127.0.0.1:9/', 'ws://[::1]:8/x']);
  assert.equal([command.node.name, command.node.port, command.node.mesh, command.node.mdns], ['n', 0, 'm', false]);
});

test('bad options throw UsageError', () => {
  for (const args of [['--port', '1.5'], ['--port'], ['extra'], ['--name', ''], ['--peer', 'nonsense']]) {
    assert.throws(() => parseCliArgs(args), (error: Error) => error instanceof UsageError, args.join(' '));
  }
});

test('input lines: chat, commands, mistakes', () => {
  assert.equal(parseInputLine('  hello there '), { type: 'broadcast', text: 'hello there' });
  assert.equal(parseInputLine(''), { type: 'empty' });
  assert.equal(parseInputLine('/peers'), { type: 'peers' });
  assert.equal(parseInputLine('/quit'), { type: 'quit' });
  assert.equal(parseInputLine('/msg bob  hi  there'), { type: 'msg', target: 'bob', text: 'hi  there' });
  assert.equal(parseInputLine('/msg bob'), { type: 'invalid', message: 'usage: /msg <name-or-id> <text>' });
  assert.equal(parseInputLine('/nope'), { type: 'invalid', message: 'unknown command /nope (try /help)' });
});

test('peer names cannot inject terminal control sequences; empty table says so', () => {
  assert.is(printable('evil\u001b[2Jname\n'), 'evil?[2Jname?');
  assert.is(formatPeerTable([], []), 'no peers yet');
});

test.run();
