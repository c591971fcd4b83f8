/**
 * A full wsmesh node for the LAN tests (default mDNS discovery, no static peers), printing JSON lines:
 * `ready` {id, port}, `connected` {peer}, `disconnected` {peer, reason}, `lost` {peer}, `message` {from, data},
 * `peers` {connected: [ids]}, `table` {peers}, `discovered`, `mdns-found`, `mdns-lost`.
 * Stdin: `broadcast <text>`, `peers`, `table`. SIGINT/SIGTERM: stop (goodbye), exit 0.
 *
 * `--passive`: the node announces itself but never dials what mDNS finds or learns through the mesh (so every link
 * to it is dialled by others).
 *
 *   node --import tsx test/lan/mesh-node.ts [--key-file F] --name N [--mesh M] [--port P] [--ping-interval MS] [--ping-timeout MS] [--passive]
 */
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Discovery, DiscoveryEvents, LocalService } from '../../src/discovery/discovery.ts';
import { MdnsDiscovery } from '../../src/discovery/mdns/mdns-discovery.ts';
import { createNode } from '../../src/node.ts';

const { values } = parseArgs({
  options: {
    'key-file': { type: 'string' },
    name: { type: 'string', default: 'node' },
    mesh: { type: 'string', default: 'lan-mesh' },
    port: { type: 'string', default: '8000' },
    'ping-interval': { type: 'string', default: '1000' },
    'ping-timeout': { type: 'string', default: '2000' },
    passive: { type: 'boolean', default: false },
  },
});

const started = Date.now();
const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ t: Date.now() - started, ...event })}\n`);

// The default discovery, made explicit so that its events can be printed too (`mdns-found`, `mdns-lost`).
const discovery = new MdnsDiscovery();
discovery.on('found', (peer) => print({ event: 'mdns-found', peer: peer.id, addresses: peer.addresses }));
discovery.on('lost', (id) => print({ event: 'mdns-lost', peer: id }));
/** For --passive: the discovery without its `found` and `lost` events. */
class AnnounceOnly extends EventEmitter<DiscoveryEvents> implements Discovery {
  start = (self: LocalService) => discovery.start(self);
  stop = () => discovery.stop();
}
const node = createNode({
  discovery: values.passive ? new AnnounceOnly() : discovery,
  // Passive: no dial of addresses learnt through the mesh either.
  dialLearnt: !values.passive,
  keyFile: values['key-file'],
  ephemeralIdentity: values['key-file'] === undefined,
  name: values.name,
  mesh: values.mesh,
  port: Number(values.port),
  pingInterval: Number(values['ping-interval']),
  pingTimeout: Number(values['ping-timeout']),
  reconnect: { min: 250, max: 2000 },
});
node.on('peer:discovered', (peer, source) => print({ event: 'discovered', peer: peer.id, source }));
node.on('peer:connected', (peer) => print({ event: 'connected', peer: peer.id, name: peer.name }));
node.on('peer:disconnected', (peer, reason) => print({ event: 'disconnected', peer: peer.id, reason }));
node.on('peer:lost', (peer) => print({ event: 'lost', peer: peer.id }));
node.on('message', (data, info) => print({ event: 'message', from: info.from, data: String(data) }));
node.on('warning', (message) => print({ event: 'warning', message }));

const connected = () => node.peers().filter((peer) => peer.state === 'connected').map((peer) => peer.id).sort();
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await node.stop();
  print({ event: 'stopped' });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.startsWith('broadcast ')) node.broadcast(line.slice('broadcast '.length));
  if (line.trim() === 'peers') print({ event: 'peers', connected: connected() });
  if (line.trim() === 'table') print({ event: 'table', peers: node.peers().map((p) => ({ id: p.id, state: p.state, direction: p.direction, reachable: p.reachable, via: p.via, addresses: p.addresses, failures: p.failures, nextRetry: p.nextRetry })) });
});

await node.start();
print({ event: 'ready', id: node.id, port: node.port });
