/**
 * An attacker on the LAN forging mDNS answers (issue 10 item 11): every `--every` ms for `--seconds`, a goodbye
 * for the previous forged instances and an announcement of new ones (fresh ids each round), claiming wsmesh
 * nodes of mesh `--mesh` at each `--target ADDRESS:PORT`. Listens on every target and counts the TCP
 * connections the nodes open to it (accepted, then closed at once). Prints {"event":"counts","counts":{...}}.
 * Runs inside a LAN namespace only.
 *
 *   node --import tsx test/lan/forge-mdns.ts --interface-address A --mesh M --target 10.231.0.12:7001 [...]
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { buildOwnService } from '../../src/discovery/mdns/own-service.ts';
import { encodeMessage } from '../../src/discovery/mdns/packet-writer.ts';
import { announcement, type OwnService } from '../../src/discovery/mdns/responder.ts';
import { MESH_PROTOCOL_VERSION } from '../../src/wire/constants.js';

const { values } = parseArgs({
  options: {
    'interface-address': { type: 'string' },
    mesh: { type: 'string', default: 'lan-mesh' },
    target: { type: 'string', multiple: true, default: [] },
    every: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '8' },
  },
});

const targets = values.target!.map((spec) => {
  const at = spec.lastIndexOf(':');
  return { spec, address: spec.slice(0, at), port: Number(spec.slice(at + 1)) };
});
const counts: Record<string, number> = Object.fromEntries(targets.map((t) => [t.spec, 0]));
const servers = await Promise.all(targets.map((target) => new Promise<ReturnType<typeof createServer>>((resolve) => {
  const server = createServer((socket) => {
    counts[target.spec]! += 1;
    socket.destroy();
  });
  server.listen(target.port, target.address, () => resolve(server));
})));

const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
await new Promise<void>((resolve) => socket.bind(5353, () => resolve()));
socket.setMulticastInterface(values['interface-address']!);
const send = (bytes: Buffer) => new Promise<void>((resolve) => socket.send(bytes, 5353, '224.0.0.251', () => resolve()));

let previous: OwnService[] = [];
const deadline = Date.now() + Number(values.seconds) * 1000;
while (Date.now() < deadline) {
  for (const own of previous) await send(encodeMessage(announcement(own, 0)));
  previous = targets.map((target, index) => {
    const id = `f${index}${randomBytes(8).toString('hex')}`;
    const self = { id, name: `forged ${index}`, mesh: values.mesh!, version: MESH_PROTOCOL_VERSION, port: target.port, path: '/' };
    return buildOwnService(self, [target.address]);
  });
  for (const own of previous) await send(encodeMessage(announcement(own)));
  await new Promise((resolve) => setTimeout(resolve, Number(values.every)));
}
socket.close();
for (const server of servers) server.close();
process.stdout.write(`${JSON.stringify({ event: 'counts', counts })}\n`);
