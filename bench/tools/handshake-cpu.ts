/**
 * CPU per link handshake (both sides, one process): runs the wsmesh.v2 link handshake (src/wire/secure-link.js)
 * between two in-memory ends with the node:crypto provider, `count` times, and reports CPU (user + system) and
 * wall time per handshake. Each end keeps its identity and Noise static key across handshakes, as a running node
 * does. `--cpu-prof` on the node command line profiles it.
 *
 * With `fresh`, both ends take a new identity and static key per handshake (nothing cached: the worst case,
 * e.g. a node that just started); without, the same two ends handshake again and again (a reconnect, or many
 * nodes in one process, where each node's proof is signed once and verified once per process).
 *
 *   node --import tsx bench/tools/handshake-cpu.ts [count] [provider: node | noble | webcrypto] [fresh]
 */
import { nodeCrypto } from '../../src/mesh/node-crypto.ts';
import { createIdentity } from '../../src/wire/identity.js';
import { SecureHandshake } from '../../src/wire/secure-link.js';
import type { CryptoProvider } from '../../src/wire/provider.js';

const count = Number(process.argv[2] ?? 2000);
const which = process.argv[3] ?? 'node';
const fresh = process.argv[4] === 'fresh';

async function providerOf(name: string): Promise<CryptoProvider> {
  if (name === 'node') return nodeCrypto;
  if (name === 'noble') return (await import('../../src/browser/crypto-noble.js')).nobleCrypto as CryptoProvider;
  if (name === 'webcrypto') return (await import('../../src/browser/crypto-webcrypto.js')).webCrypto as CryptoProvider;
  throw new Error(`unknown provider ${name}`);
}

const provider = await providerOf(which);
const psk = new Uint8Array(32).fill(7);
const end = async (name: string, initiator: boolean) => ({
  initiator,
  identity: createIdentity(provider),
  staticKeys: await provider.x25519Generate(),
  hello: { v: 2 as const, name, mesh: 'bench', kind: 'node' as const, listen: [`ws://127.0.0.1:1/${name}`], boot: name },
});
let a = await end('a', true);
let b = await end('b', false);
// Fresh ends are made before the clock starts (key generation at a node's start is not handshake work).
const spare: Array<[typeof a, typeof b]> = [];
for (let i = 0; fresh && i < count + Math.min(200, count); i++) spare.push([await end('a', true), await end('b', false)]);

async function once(): Promise<void> {
  if (fresh) [a, b] = spare.pop()!;
  const ini = new SecureHandshake({ provider, psk, ...a });
  const res = new SecureHandshake({ provider, psk, ...b });
  let toRes = await ini.start();
  await res.start();
  while (toRes.length > 0) {
    const toIni: Uint8Array[] = [];
    for (const m of toRes) toIni.push(...(await res.receive(m)));
    toRes = [];
    for (const m of toIni) toRes.push(...(await ini.receive(m)));
  }
  if (ini.result === null || res.result === null) throw new Error('handshake did not complete');
}

for (let i = 0; i < Math.min(200, count); i++) await once();
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < count; i++) await once();
const wall = performance.now() - started;
const used = process.cpuUsage(cpu);
const perUs = (used.user + used.system) / count;
console.log(`${which}${fresh ? ' (fresh keys)' : ''}: ${count} handshakes, CPU ${perUs.toFixed(0)} us per handshake (both sides), wall ${((wall * 1000) / count).toFixed(0)} us`);
