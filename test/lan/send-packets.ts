/**
 * Sends every hostile mDNS message of test/discovery/support/hostile-packets.ts `--rounds` times, by multicast
 * on `--interface-address` and by unicast to each `--to` address, from port 5353 and from an ephemeral port.
 * With `--ipv6 IFNAME`: over IPv6 instead (ff02::fb on that interface, `--to` IPv6 addresses).
 * Prints {"event":"sent","count":N} and exits. Runs inside a LAN namespace only.
 */
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';
import { HOSTILE_PACKETS } from '../discovery/support/hostile-packets.ts';

const { values } = parseArgs({
  options: {
    'interface-address': { type: 'string' },
    to: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '3' },
    ipv6: { type: 'string' },
  },
});

const ipv6 = values.ipv6;
function open(port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4', reuseAddr: true });
  return new Promise((resolve) => socket.bind(port, () => {
    socket.setMulticastInterface(ipv6 ? `::%${ipv6}` : values['interface-address']!);
    resolve(socket);
  }));
}

const send = (socket: dgram.Socket, bytes: Buffer, address: string) =>
  new Promise<void>((resolve) => socket.send(bytes, 5353, address, () => resolve()));

const sockets = [await open(5353), await open(0)];
let count = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  for (const packet of HOSTILE_PACKETS) {
    for (const socket of sockets) {
      for (const address of [ipv6 ? 'ff02::fb' : '224.0.0.251', ...values.to!]) {
        await send(socket, packet.bytes, address);
        count++;
      }
    }
  }
}
for (const socket of sockets) socket.close();
process.stdout.write(`${JSON.stringify({ event: 'sent', count })}\n`);
