/**
 * A static peer given by its IPv6 link-local address with the zone (`--peer ws://[fe80::a:2%25eth0]:8000/`),
 * mDNS off, on a namespace LAN of two hosts: the CLI dials it on that interface, a direct message is
 * acknowledged, `/peers` shows the zoned URL, and the banner's page links leave the zoned address out.
 * Needs root, iproute2, nftables, unshare; under CI=true their absence fails the file.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lanSuite } from '../lan/lan-suite.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');
const WAIT = 15_000;
type Line = Record<string, any>;

const getLan = lanSuite(2);
if (getLan) {
  test('a link-local static peer with its zone: dialled on that interface, direct message acked, shown with brackets and zone', async () => {
    const lan = getLan();
    const cli = (host: number, args: string[]) =>
      lan.spawn(host, [process.execPath, '--import', 'tsx', CLI, '--json', '--no-mdns', '--ephemeral-key', '--port', '8000', '--name', `h${host}`, ...args]);
    const zoned = `ws://[${lan.linkLocal(2)}%25eth0]:8000/`;
    const two = cli(2, []);
    const ready = await two.waitFor((l) => l.event === 'ready', WAIT);
    assert.ok((ready.urls as string[]).includes(zoned), `listen URLs ${JSON.stringify(ready.urls)}`);
    assert.ok((ready.urls as string[]).includes(`ws://[${lan.address6(2)}]:8000/`));
    assert.equal(
      (ready.pages as string[]).filter((url) => !url.includes('127.0.0.1') && !url.includes('[::1]')),
      ['http://10.231.0.12:8000/', `http://[${lan.address6(2)}]:8000/`],
      'page links: no zoned link-local',
    );

    const one = cli(1, ['--peer', zoned]);
    const connected = (await one.waitFor((l: Line) => l.event === 'peer:connected', WAIT, 'connected to h2')) as Line;
    assert.is(connected.peer.name, 'h2');
    assert.is(connected.peer.direction, 'outbound');
    one.write('/msg h2 over link-local');
    await two.waitFor((l: Line) => l.event === 'message' && l.data === 'over link-local' && l.to !== null, WAIT, 'the direct message');
    await one.waitFor((l: Line) => l.event === 'delivered' && l.name === 'h2', WAIT, 'its acknowledgement');
    one.write('/peers');
    const peers = (await one.waitFor((l: Line) => l.event === 'peers', WAIT, 'the peer table')) as Line;
    assert.equal(peers.peers.map((peer: Line) => [peer.name, peer.state, peer.addresses]), [['h2', 'connected', [{ url: zoned, source: 'static' }]]]);
    for (const process_ of [one, two]) {
      process_.signal('SIGINT');
      assert.is(await process_.exited, 0);
    }
  });
}

test.run();
