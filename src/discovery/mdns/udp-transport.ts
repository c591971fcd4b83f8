import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { MDNS_GROUP, MDNS_PORT } from './constants.ts';
import type { SelectedInterface } from './interfaces.ts';

export interface RemoteInfo {
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
  /** Sends to 224.0.0.251:5353 on every interface; resolves when the datagrams have left. */
  sendMulticast(message: Buffer): Promise<void>;
  sendUnicast(message: Buffer, to: RemoteInfo): Promise<void>;
  close(): Promise<void>;
}

/**
 * One UDP socket on 0.0.0.0:5353 (shared with other responders through SO_REUSEADDR) that joins the group
 * on each chosen interface by address and sends on each by switching IP_MULTICAST_IF between sends.
 * mdns-js bug 4 is the reason this is ours: its sockets are process-wide and closed by any one user.
 */
export class UdpTransport extends EventEmitter<MdnsTransportEvents> implements MdnsTransport {
  private socket: dgram.Socket | null = null;
  private interfaces: readonly SelectedInterface[] = [];
  private sending: Promise<void> = Promise.resolve();

  async open(interfaces: readonly SelectedInterface[]): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(MDNS_PORT, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      for (const entry of interfaces) socket.addMembership(MDNS_GROUP, entry.address);
      socket.setMulticastTTL(255);
      socket.setMulticastLoopback(true);
    } catch (error) {
      socket.close();
      throw error;
    }
    socket.on('message', (message, remote) => this.emit('message', message, { address: remote.address, port: remote.port }));
    socket.on('error', (error) => this.emit('error', error));
    this.socket = socket;
    this.interfaces = interfaces;
  }

  sendMulticast(message: Buffer): Promise<void> {
    return this.serialize(async (socket) => {
      for (const entry of this.interfaces) {
        socket.setMulticastInterface(entry.address);
        await send(socket, message, MDNS_PORT, MDNS_GROUP);
      }
    });
  }

  sendUnicast(message: Buffer, to: RemoteInfo): Promise<void> {
    return this.serialize((socket) => send(socket, message, to.port, to.address));
  }

  async close(): Promise<void> {
    await this.sending;
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends one after another: IP_MULTICAST_IF applies when a datagram leaves, so sends must not overlap. */
  private serialize(job: (socket: dgram.Socket) => Promise<void>): Promise<void> {
    const run = this.sending.then(async () => {
      if (this.socket) await job(this.socket);
    });
    this.sending = run.catch(() => {});
    return run;
  }
}

function send(socket: dgram.Socket, message: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(message, port, address, (error) => (error ? reject(error) : resolve()));
  });
}
