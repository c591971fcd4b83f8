/**
 * Interoperability with an mDNS implementation we did not write: Debian's python3-zeroconf, run with
 * /usr/bin/python3 on hosts of a namespace LAN. Needs root, iproute2, nftables, unshare and python3-zeroconf;
 * under CI=true their absence fails the file.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshTag } from '../../src/discovery/discovery.ts';
import type { Lan, LanProcess } from '../lan/lan.ts';
import { lanSuite } from '../lan/lan-suite.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_SCRIPT = path.join(HERE, '../lan/discovery-node.ts');
const BROWSE = path.join(HERE, '../lan/python/zeroconf_browse.py');
const REGISTER = path.join(HERE, '../lan/python/zeroconf_register.py');
const PYTHON = '/usr/bin/python3';
const WAIT = 15_000;
const MESH = 'lan-test';

type Line = Record<string, unknown>;
const foundId = (id: string) => (line: Line) => line.event === 'found' && (line.peer as { id: string }).id === id;

let lan: Lan;
const ours: Array<{ host: number; id: string; process: LanProcess }> = [];

const zeroconf = spawnSync(PYTHON, ['-c', 'import zeroconf'], { stdio: 'ignore' }).status === 0;
const getLan = lanSuite(3, { available: zeroconf, name: 'python3-zeroconf for /usr/bin/python3', install: 'apt-get install -y python3-zeroconf' });
if (getLan) {
  test.before(() => {
    lan = getLan();
  });

  test('python-zeroconf browsing _wsmesh._tcp.local. sees every node at once with port, address and TXT', async () => {
    for (const host of [1, 2]) {
      const id = `q${host}${randomBytes(6).toString('hex')}`;
      const process_ = lan.spawn(host, [process.execPath, '--import', 'tsx', NODE_SCRIPT, '--id', id, '--name', `node ${host}.x`, '--port', String(8100 + host), '--mesh', MESH]);
      ours.push({ host, id, process: process_ });
    }
    await Promise.all(ours.map((node) => node.process.waitFor((l) => l.event === 'ready', WAIT)));
    const browser = lan.spawn(3, [PYTHON, BROWSE, lan.address(3), '8']);
    const added = await Promise.all(
      ours.map((node) => browser.waitFor((l) => l.event === 'added' && typeof l.txt === 'object' && (l.txt as Line).id === node.id, WAIT, `zeroconf sees ${node.id}`)),
    );
    for (const [index, node] of ours.entries()) {
      const seen = added[index]!;
      assert.is(seen.name, `node ${node.host}-x (${node.id.slice(0, 8)})._wsmesh._tcp.local.`);
      assert.is(seen.port, 8100 + node.host);
      // Our A and AAAA records (ULA and link-local), as python-zeroconf reads them.
      assert.equal([...(seen.addresses as string[])].sort(), [lan.address(node.host), lan.address6(node.host), lan.linkLocal(node.host)].sort());
      assert.equal(seen.txt, { id: node.id, v: '1', mesh: meshTag(MESH), path: '/', name: `node ${node.host}.x` });
    }
    browser.signal('SIGKILL');
    await browser.exited;
  });

  test('a service registered by python-zeroconf with a valid TXT is found by our nodes, and lost on its goodbye', async () => {
    const id = `zc${randomBytes(8).toString('hex')}`;
    const registrar = lan.spawn(3, [PYTHON, REGISTER, lan.address(3), 'py service', '9300', '30', `id=${id}`, 'v=1', `mesh=${meshTag(MESH)}`, 'path=/']);
    await registrar.waitFor((l) => l.event === 'registered', WAIT);
    const found = await Promise.all(ours.map((node) => node.process.waitFor(foundId(id), WAIT, 'found the zeroconf service')));
    for (const line of found) {
      assert.equal(line.peer, { id, name: 'py service', mesh: meshTag(MESH), version: 1, addresses: [lan.address(3)], port: 9300, path: '/', source: 'mdns' });
    }
    registrar.child.stdin!.end();
    await registrar.waitFor((l) => l.event === 'unregistered', WAIT);
    await Promise.all(ours.map((node) => node.process.waitFor((l) => l.event === 'lost' && l.id === id, WAIT, 'lost the zeroconf service')));
  });

  test('python-zeroconf sees our goodbye: the node is removed when it stops', async () => {
    const browser = lan.spawn(3, [PYTHON, BROWSE, lan.address(3), '10']);
    const leaving = ours[0]!;
    await browser.waitFor((l) => l.event === 'added' && typeof l.txt === 'object' && (l.txt as Line).id === leaving.id, WAIT);
    leaving.process.signal('SIGINT');
    assert.is(await leaving.process.exited, 0);
    await browser.waitFor((l) => l.event === 'removed' && String(l.name).includes(leaving.id.slice(0, 8)), WAIT, 'zeroconf removes the node');
    browser.signal('SIGKILL');
    await browser.exited;
  });

  test('over IPv6 only: python-zeroconf sees our A and AAAA records, and we see its AAAA records', async () => {
    lan.makeIpv6Only(3);
    const node = ours[1]!;
    const browser = lan.spawn(3, [PYTHON, BROWSE, '-', '8', 'eth0']);
    const seen = await browser.waitFor((l) => l.event === 'added' && typeof l.txt === 'object' && (l.txt as Line).id === node.id, WAIT, 'zeroconf over IPv6 sees our node');
    assert.equal([...(seen.addresses as string[])].sort(), [lan.address(node.host), lan.address6(node.host), lan.linkLocal(node.host)].sort());
    browser.signal('SIGKILL');
    await browser.exited;
    const id = `z6${randomBytes(8).toString('hex')}`;
    const env = { ...process.env, ZC_IPV6: `eth0,${lan.address6(3)},${lan.linkLocal(3)}` };
    const registrar = lan.spawn(3, [PYTHON, REGISTER, '-', 'py6 service', '9306', '30', `id=${id}`, 'v=1', `mesh=${meshTag(MESH)}`, 'path=/'], env);
    await registrar.waitFor((l) => l.event === 'registered', WAIT);
    const found = await node.process.waitFor(foundId(id), WAIT, 'found the zeroconf service over IPv6');
    assert.equal((found.peer as { addresses: string[] }).addresses, [lan.address6(3), `${lan.linkLocal(3)}%eth0`]);
    registrar.child.stdin!.end();
    await node.process.waitFor((l) => l.event === 'lost' && l.id === id, WAIT, 'lost the zeroconf service over IPv6');
  });
}

test.run();
