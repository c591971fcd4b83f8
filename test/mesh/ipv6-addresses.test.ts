/**
 * IPv6 addresses outside discovery: static peers with a zoned link-local URL (RFC 6874), page links a browser
 * can open, and two nodes on ::1 only (listen URLs, /status, peer addresses, a direct message acknowledged).
 */
import { networkInterfaces } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCliArgs } from '../../src/cli/args.ts';
import { WsmeshOptionError } from '../../src/errors.ts';
import { pageUrlsOf } from '../../src/mesh/listen-urls.ts';
import { normalizePeerUrl } from '../../src/mesh/options.ts';
import { createNode } from '../../src/node.ts';
import type { ManagedProcess } from '../helpers/processes.ts';
import { connectedIds, spawnCli, startNode, stopAllNodes, waitFor } from './support.ts';

const children = new Set<ManagedProcess>();
test.after.each(async () => {
  await stopAllNodes();
  await Promise.all([...children].map((child) => child.kill()));
  children.clear();
});

function optionError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, WsmeshOptionError);
    return (error as Error).message;
  }
  throw new Error('expected a WsmeshOptionError');
}

test('static peers: a zoned link-local URL is taken as parseWsUrl reads it; the zone must name an interface', () => {
  assert.is(normalizePeerUrl('ws://[fe80::1%25lo]:7447/'), 'ws://[fe80::1%25lo]:7447/');
  assert.is(normalizePeerUrl('ws://[FE80::A%25lo]:7447'), 'ws://[fe80::a%25lo]:7447/');
  assert.is(normalizePeerUrl('ws://[fd00::1]:7447/x?y'), 'ws://[fd00::1]:7447/x?y');
  assert.is(normalizePeerUrl('ws://127.0.0.1:7447'), 'ws://127.0.0.1:7447/');
  assert.is(
    optionError(() => normalizePeerUrl('ws://[fe80::1%25wsmesh-none9]:7447/')),
    'peer address "ws://[fe80::1%25wsmesh-none9]:7447/" names interface "wsmesh-none9", which this machine does not have (interfaces: ' +
      `${Object.keys(networkInterfaces()).join(', ')})`,
  );
  assert.match(optionError(() => normalizePeerUrl('ws://[fe80::1%eth0]:7447/')), 'write the zone of an IPv6 address as %25 (RFC 6874)');
  assert.match(optionError(() => normalizePeerUrl('ws://[fe80::1%2599999]:7447/')), 'names interface "99999"');
  assert.match(optionError(() => normalizePeerUrl('wss://[fe80::1%25lo]:7447/')), 'must start with ws://');
  assert.match(optionError(() => normalizePeerUrl('not a url')), 'is not a URL (expected ws://host:port/)');
  assert.match(optionError(() => normalizePeerUrl('ws://h/#x')), 'must not have a #fragment');
});

test('static peers: the option, the CLI and addPeer() take a zoned URL and refuse an unknown interface clearly', async () => {
  const command = parseCliArgs(['--peer', 'ws://[fe80::1%25lo]:7447/']);
  assert.equal((command as { node: { peers?: string[] } }).node.peers, ['ws://[fe80::1%25lo]:7447/']);
  assert.throws(() => parseCliArgs(['--peer', 'ws://[fe80::1%25nope0]:7447/']), /--peer: peer address .* names interface "nope0"/);
  assert.match(optionError(() => createNode({ ephemeralIdentity: true, mdns: false, peers: ['ws://[fe80::1%25nope0]:1/'] })), 'names interface "nope0"');
  const node = await startNode();
  node.addPeer('ws://[fe80::1%25lo]:9/');
  assert.ok(node.staticPeers().some((peer) => peer.url === 'ws://[fe80::1%25lo]:9/'));
  assert.match(optionError(() => node.addPeer('ws://[fe80::1%25nope0]:9/')), 'names interface "nope0"');
});

test('page links: zoned link-local URLs are left out (browsers cannot open them), the others become http://', () => {
  const urls = ['ws://10.0.0.1:7447/', 'ws://[fd00::1]:7447/', 'ws://[fe80::1%25eth0]:7447/', 'ws://127.0.0.1:7447/', 'ws://[::1]:7447/'];
  assert.equal(pageUrlsOf(urls), ['http://10.0.0.1:7447/', 'http://[fd00::1]:7447/', 'http://127.0.0.1:7447/', 'http://[::1]:7447/']);
});

test('a node listening on ::1 and on :: lists no zoned page link', async () => {
  const node = await startNode({ host: '::' });
  assert.ok(node.urls.length > 0);
  for (const url of node.pageUrls) assert.not.match(url, '%25', url);
  assert.is(node.pageUrls.length, node.urls.filter((url) => !url.includes('%25')).length);
});

test('two nodes on ::1 only: bracketed URLs everywhere, a direct message acknowledged', async () => {
  const a = await startNode({ host: '::1', name: 'a' });
  assert.equal(a.urls, [`ws://[::1]:${a.port}/`]);
  assert.equal(a.pageUrls, [`http://[::1]:${a.port}/`]);
  const b = await startNode({ host: '::1', name: 'b', peers: a.urls });
  await waitFor(() => connectedIds(a).includes(b.id) && connectedIds(b).includes(a.id), 'a and b are connected');
  const status = b.status();
  assert.equal(status.urls, [`ws://[::1]:${b.port}/`]);
  const peerA = status.peers.find((peer) => peer.id === a.id)!;
  assert.ok(peerA.addresses.some((address) => address.url === `ws://[::1]:${a.port}/`), JSON.stringify(peerA.addresses));
  // /status over HTTP on [::1] answers the same.
  const served = (await (await fetch(`http://[::1]:${b.port}/status`)).json()) as typeof status;
  assert.equal(served.urls, status.urls);
  await b.send(a.id, 'over ::1');
  await a.send(b.id, 'and back');
});

test('the CLI on --host ::1: banner and /peers show bracketed addresses; /msg is delivered', async () => {
  const cli = (args: string[]) => {
    const child = spawnCli(['--host', '::1', ...args]);
    children.add(child);
    return child;
  };
  const alice = cli(['--name', 'alice']);
  const url = (await alice.waitForLine(/^listening on (ws:\/\/\S+)$/))[1];
  assert.match(url, /^ws:\/\/\[::1\]:\d+\/$/);
  await alice.waitForLine(new RegExp(`^web page ${url.replace('ws:', 'http:').replace(/[[\]/.]/g, '\\$&')}$`));
  const bob = cli(['--name', 'bob', '--peer', url]);
  await bob.waitForLine(/^\+ connected alice \([0-9a-f]{8}\) node outbound$/);
  bob.child.stdin!.write('/peers\n');
  const row = await bob.waitForLine(/^alice\s+[0-9a-f]{8}\s+node\s+connected\s+outbound\s.*$/);
  assert.ok(row.input!.endsWith(`${url} (static)`), row.input);
  bob.child.stdin!.write('/msg alice hi over ::1\n');
  await alice.waitForLine(/^<bob> \(direct\) hi over ::1$/);
  await bob.waitForLine(/^> delivered to alice \([0-9a-f]{8}\)$/);
  alice.child.stdin!.write('/peers\n');
  const inbound = await alice.waitForLine(/^bob\s+[0-9a-f]{8}\s+node\s+connected\s+inbound\s.*$/);
  assert.match(inbound.input!, /ws:\/\/\[::1\]:\d+\//);
});

test.run();
