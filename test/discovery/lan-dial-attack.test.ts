/**
 * Issue 10 item 11 on a namespace LAN: an attacker forging mDNS answers must not make a node dial addresses
 * outside the subnet of the interface the answer came in on, nor dial the same address again and again while
 * the forged ids rotate. h1 runs a full node; h2 forges (test/lan/forge-mdns.ts) and counts the TCP
 * connections that reach its targets: one in the LAN's subnet, one in another subnet that h1 can route to.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lan } from '../lan/lan.ts';
import { lanSuite } from '../lan/lan-suite.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE_SCRIPT = path.join(HERE, '../lan/mesh-node.ts');
const FORGE_SCRIPT = path.join(HERE, '../lan/forge-mdns.ts');
const WAIT = 15_000;
const FORGE_SECONDS = 8;
const OUTSIDE = '10.231.7.2';

let lan: Lan;
const getLan = lanSuite(2);
if (getLan) {
  test.before(() => {
    lan = getLan();
    // h2 also holds an address of another subnet, which h1 can reach: a "somewhere else" target.
    lan.exec(2, ['ip', 'addr', 'add', `${OUTSIDE}/24`, 'dev', 'eth0']);
    lan.exec(1, ['ip', 'route', 'add', '10.231.7.0/24', 'dev', 'eth0']);
  });

  test('forged mDNS answers: no dial outside the subnet, and a forged address is dialled a bounded number of times', async () => {
    const node = lan.spawn(1, [process.execPath, '--import', 'tsx', NODE_SCRIPT, '--name', 'h1', '--mesh', 'lan-mesh']);
    await node.waitFor((l) => l.event === 'ready', WAIT);
    const inside = `${lan.address(2)}:7001`;
    const outside = `${OUTSIDE}:7002`;
    const forger = lan.spawn(2, [
      process.execPath, '--import', 'tsx', FORGE_SCRIPT, '--interface-address', lan.address(2), '--mesh', 'lan-mesh',
      '--target', inside, '--target', outside, '--every', '300', '--seconds', String(FORGE_SECONDS),
    ]);
    const result = await forger.waitFor((l) => l.event === 'counts', WAIT + FORGE_SECONDS * 1000);
    const counts = result.counts as Record<string, number>;
    console.log(`MEASURE lan-dial-attack: connections in ${FORGE_SECONDS} s of forged answers every 300 ms: ${JSON.stringify(counts)}`);
    assert.is(counts[outside], 0, `h1 dialled ${outside}, outside its interface's subnet`);
    // mesh-node.ts backs off from 250 ms doubling up to 2 s (±20%): 8 dials in 8 s at most, whatever the number
    // of forged ids (the code before: one dial per forged id and more, ~50). 10 leaves room for timing.
    assert.ok(counts[inside]! >= 1, 'the in-subnet address is dialled (the attack reached the node)');
    assert.ok(counts[inside]! <= 10, `h1 dialled ${inside} ${counts[inside]} times in ${FORGE_SECONDS} s`);
    assert.is(node.child.exitCode, null);
    node.signal('SIGINT');
    await node.exited;
  });
}

test.run();
