/**
 * A node that only runs discovery, for the LAN tests: prints one JSON object per line on stdout
 * (`ready`, `found`, `lost`, `unavailable`, `stopped`) with `t` = ms since start. SIGINT/SIGTERM or a
 * `stop` line on stdin stops it (goodbye first) and exits 0.
 *
 *   node --import tsx test/lan/discovery-node.ts --id ID --name N --mesh M --port P [--interface IF] [--version V]
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MdnsDiscovery } from '../../src/discovery/mdns/mdns-discovery.ts';

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    mesh: { type: 'string', default: 'lan-test' },
    port: { type: 'string', default: '8080' },
    version: { type: 'string', default: '1' },
    interface: { type: 'string' },
    'query-max': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const started = Date.now();
const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ t: Date.now() - started, ...event })}\n`);

const discovery = new MdnsDiscovery({
  interface: values.interface,
  queryIntervalMax: values['query-max'] ? Number(values['query-max']) : undefined,
  log: values.verbose ? (line) => print({ event: 'log', line }) : undefined,
});
discovery.on('found', (peer) => print({ event: 'found', peer }));
discovery.on('lost', (id) => print({ event: 'lost', id }));
discovery.on('unavailable', (reason) => print({ event: 'unavailable', reason }));

const self = {
  id: values.id ?? randomBytes(16).toString('hex'),
  name: values.name ?? 'node',
  mesh: values.mesh!,
  version: Number(values.version),
  port: Number(values.port),
  path: '/',
};

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await discovery.stop();
  print({ event: 'stopped', stats: discovery.stats });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stop') void stop();
  if (line.trim() === 'stats') print({ event: 'stats', stats: discovery.stats, peers: discovery.knownPeers().length });
});

await discovery.start(self);
print({ event: 'ready', id: self.id, name: self.name });
