// DNS rebinding against the node's HTTP routes, done the way such a page does it: the request reaches the
// node's port on 127.0.0.1 but names the attacker's host in `Host`. Every route (page, static files,
// /access, /status) must refuse it; and with a secret, /status tells nobody anything about the mesh.
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startWebNode, stopWebNodes } from './support/nodes.ts';

test.after.each(stopWebNodes);

/** A GET to the node on 127.0.0.1 with the given `Host` header (fetch would not let us set it). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const ROUTES = ['/', '/app.js', '/browser/index.js', '/style.css', '/access', '/status'];

test('a foreign Host (a rebound DNS name) gets 421 on every route and learns nothing', async () => {
  const node = await startWebNode({ name: 'secret-name' });
  for (const path of ROUTES) {
    for (const host of [`rebound.example:${node.port}`, 'rebound.example', `localhost.example:${node.port}`]) {
      const { status, body } = await getWithHost(node.port, path, host);
      assert.is(status, 421, `${path} with Host ${host}`);
      assert.not.ok(body.includes(node.id) || body.includes('secret-name') || body.includes('<html'), `${path}: ${body}`);
      assert.match(body, /is not a name of this node/);
    }
  }
});

test('the node own names and addresses are served: IP literals, localhost, the machine name', async () => {
  const node = await startWebNode({ name: 'n' });
  for (const host of [`127.0.0.1:${node.port}`, `localhost:${node.port}`, `[::1]:${node.port}`, `192.168.1.7:${node.port}`, `LOCALHOST.:${node.port}`]) {
    for (const path of ROUTES) assert.is((await getWithHost(node.port, path, host)).status, 200, `${path} with Host ${host}`);
  }
});

test('allowHosts adds names (a DNS name the node is reached by); the page of such a name may connect', async () => {
  const node = await startWebNode({ name: 'n', allowHosts: ['mesh.example'] });
  assert.is((await getWithHost(node.port, '/status', `mesh.example:${node.port}`)).status, 200);
  assert.is((await getWithHost(node.port, '/status', `other.example:${node.port}`)).status, 421);
  const access = await getWithHost(node.port, '/access', `mesh.example:${node.port}`);
  assert.is(JSON.parse(access.body).allowed, true, access.body);
});

test('with a secret, /status shows no id, name, address or peer; without one it shows the table', async () => {
  const open = await startWebNode({ name: 'open-node' });
  const openStatus = JSON.parse((await getWithHost(open.port, '/status', `127.0.0.1:${open.port}`)).body);
  assert.is(openStatus.id, open.id);
  assert.ok(Array.isArray(openStatus.peers));
  const closed = await startWebNode({ name: 'closed-node', mesh: 'private-mesh', secret: 'correct horse battery staple', peers: [`ws://127.0.0.1:${open.port}/`] });
  const { status, body } = await getWithHost(closed.port, '/status', `127.0.0.1:${closed.port}`);
  assert.is(status, 200);
  for (const secretish of [closed.id, 'closed-node', 'private-mesh', String(open.port), '127.0.0.1']) {
    assert.not.ok(body.includes(secretish), `/status leaks ${secretish}: ${body}`);
  }
  assert.equal(Object.keys(JSON.parse(body)).sort(), ['auth', 'message', 'version']);
});

test.run();
