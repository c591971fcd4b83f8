import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { MDNS_GROUP, MDNS_GROUP_V6, MDNS_PORT } from './constants.ts';
import { interfaceNames, type SelectedInterface } from './interfaces.ts';

export interface RemoteInfo {
  /** The sender; an IPv6 link-local one carries its zone (`fe80::1%eth0`). */
  address: string;
  port: number;
}

export interface MdnsTransportEvents {
  message: [message: Buffer, remote: RemoteInfo];
  error: [error: Error];
}

/** What the discovery needs from the network; tests substitute an in-memory LAN. */
export interface MdnsTransport extends EventEmitter<MdnsTransportEvents> {
  open(interfaces: readonly SelectedInterface[]): Promise<void>;
  /** Joins the groups on interfaces that appeared and leaves them on those that went. */
  update(interfaces: readonly SelectedInterface[]): Promise<void>;
  /**
   * Sends to 224.0.0.251 and ff02::fb port 5353 on interface `link` (each family the interface has an address
   * of); resolves when the datagrams have left. Rejects only when nothing could be sent.
   */
  sendMulticast(message: Buffer, link: string): Promise<void>;
  sendUnicast(message: Buffer, to: RemoteInfo): Promise<void>;
  close(): Promise<void>;
}

type Family = 'IPv4' | 'IPv6';

/**
 * Two UDP sockets on port 5353 (shared with other responders through SO_REUSEADDR): one on 0.0.0.0 that joins
 * 224.0.0.251 on each interface by its address, one on :: (IPv6 only) that joins ff02::fb on each interface by
 * its index (`::%eth0`). Sends go out on one interface at a time by switching the multicast interface.
 * mdns-js bug 4 is the reason this is ours: its sockets are process-wide and closed by any one user. A host
 * without IPv6 (or without IPv4) runs on the family it has.
 */
export class UdpTransport extends EventEmitter<MdnsTransportEvents> implements MdnsTransport {
  private readonly sockets = new Map<Family, dgram.Socket>();
  /** Per family: interface name -> the membership interface used to join. */
  private readonly joined = new Map<Family, Map<string, string>>([['IPv4', new Map()], ['IPv6', new Map()]]);
  private interfaces: readonly SelectedInterface[] = [];
  private sending: Promise<void> = Promise.resolve();

  async open(interfaces: readonly SelectedInterface[]): Promise<void> {
    const failures: string[] = [];
    for (const family of ['IPv4', 'IPv6'] as const) {
      try {
        this.sockets.set(family, await bindSocket(family));
      } catch (error) {
        failures.push(`${family}: ${(error as Error).message}`);
      }
    }
    if (this.sockets.size === 0) throw new Error(`cannot bind port ${MDNS_PORT} (${failures.join('; ')})`);
    for (const socket of this.sockets.values()) {
      socket.on('message', (message, remote) => this.emit('message', message, { address: remote.address, port: remote.port }));
      socket.on('error', (error) => this.emit('error', error));
    }
    try {
      await this.update(interfaces);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async update(interfaces: readonly SelectedInterface[]): Promise<void> {
    this.interfaces = interfaces;
    const errors: string[] = [];
    let memberships = 0;
    for (const [family, socket] of this.sockets) {
      const joined = this.joined.get(family)!;
      const wanted = new Map<string, string>();
      for (const name of interfaceNames(interfaces)) {
        const first = interfaces.find((entry) => entry.name === name && entry.family === family);
        if (first) wanted.set(name, family === 'IPv4' ? first.address : `::%${name}`);
      }
      const group = family === 'IPv4' ? MDNS_GROUP : MDNS_GROUP_V6;
      for (const [name, via] of joined) {
        if (wanted.get(name) === via) continue;
        joined.delete(name);
        try {
          socket.dropMembership(group, via);
        } catch {
          // the interface or its address is gone already, and the membership with it
        }
      }
      for (const [name, via] of wanted) {
        if (joined.has(name)) continue;
        try {
          socket.addMembership(group, via);
          joined.set(name, via);
        } catch (error) {
          errors.push(`${group} on ${name}: ${(error as Error).message}`);
        }
      }
      memberships += joined.size;
    }
    if (memberships === 0 && interfaces.length > 0) throw new Error(errors.join('; ') || 'no interface to join the mDNS group on');
  }

  sendMulticast(message: Buffer, link: string): Promise<void> {
    return this.serialize(async () => {
      const errors: Error[] = [];
      let sent = 0;
      for (const [family, socket] of this.sockets) {
        const via = this.joined.get(family)!.get(link);
        if (via === undefined) continue;
        try {
          socket.setMulticastInterface(via);
          await send(socket, message, MDNS_PORT, family === 'IPv4' ? MDNS_GROUP : MDNS_GROUP_V6);
          sent++;
        } catch (error) {
          errors.push(error as Error);
        }
      }
      if (sent === 0 && errors.length > 0) throw errors[0]!;
    });
  }

  sendUnicast(message: Buffer, to: RemoteInfo): Promise<void> {
    return this.serialize(async () => {
      const socket = this.sockets.get(isIPv6(to.address.split('%')[0]!) ? 'IPv6' : 'IPv4');
      if (!socket) throw new Error(`no socket of the family of ${to.address}`);
      await send(socket, message, to.port, to.address);
    });
  }

  async close(): Promise<void> {
    await this.sending;
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    for (const joined of this.joined.values()) joined.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  /** Sends one after another: the multicast interface applies when a datagram leaves, so sends must not overlap. */
  private serialize(job: () => Promise<void>): Promise<void> {
    const run = this.sending.then(async () => {
      if (this.sockets.size > 0) await job();
    });
    this.sending = run.catch(() => {});
    return run;
  }
}

async function bindSocket(family: Family): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: family === 'IPv4' ? 'udp4' : 'udp6', reuseAddr: true, ipv6Only: family === 'IPv6' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(MDNS_PORT, family === 'IPv4' ? '0.0.0.0' : '::', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    socket.setMulticastTTL(255);
    socket.setMulticastLoopback(true);
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}

function send(socket: dgram.Socket, message: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(message, port, address, (error) => (error ? reject(error) : resolve()));
  });
}
