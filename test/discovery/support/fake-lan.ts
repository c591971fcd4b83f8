/**
 * An in-memory LAN for unit tests of the mDNS discovery: no sockets, no real network. Every multicast reaches
 * every open member (the sender too, like IP_MULTICAST_LOOP), unicast reaches members with that address.
 */
import { EventEmitter } from 'node:events';
import type { SelectedInterface } from '../../../src/discovery/mdns/interfaces.ts';
import type { InterfaceTable } from '../../../src/discovery/mdns/interfaces.ts';
import type { MdnsTransport, MdnsTransportEvents, RemoteInfo } from '../../../src/discovery/mdns/udp-transport.ts';

export interface Delivery {
  from: RemoteInfo;
  to: RemoteInfo | 'multicast';
  bytes: Buffer;
}

export class FakeLan {
  readonly members = new Set<FakeTransport>();
  readonly log: Delivery[] = [];

  transport(address: string): FakeTransport {
    return new FakeTransport(this, address);
  }

  /** The interface table a node at `address` sees. */
  static interfaces(address: string, netmask = '255.255.255.0'): () => InterfaceTable {
    return () => ({
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
      eth0: [{ address, netmask, family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` }],
    });
  }

  /** Delivers `bytes` as if `from` had multicast them. */
  inject(bytes: Buffer, from: RemoteInfo): void {
    this.deliver({ from, to: 'multicast', bytes });
  }

  deliver(delivery: Delivery): void {
    this.log.push(delivery);
    for (const member of this.members) {
      if (delivery.to !== 'multicast' && member.address !== delivery.to.address) continue;
      setImmediate(() => member.receive(delivery.bytes, delivery.from));
    }
  }
}

export class FakeTransport extends EventEmitter<MdnsTransportEvents> implements MdnsTransport {
  readonly events: string[] = [];
  opened = false;
  /** Makes the next open() fail with this error. */
  failOpen: Error | null = null;

  constructor(
    private readonly lan: FakeLan,
    readonly address: string,
  ) {
    super();
  }

  async open(interfaces: readonly SelectedInterface[]): Promise<void> {
    if (this.failOpen) throw this.failOpen;
    this.events.push(`open ${interfaces.map((entry) => entry.address).join(',')}`);
    this.opened = true;
    this.lan.members.add(this);
  }

  async update(interfaces: readonly SelectedInterface[]): Promise<void> {
    this.events.push(`update ${interfaces.map((entry) => entry.address).join(',')}`);
  }

  async sendMulticast(message: Buffer, _link: string): Promise<void> {
    if (!this.opened) throw new Error('send on a closed transport');
    this.events.push('multicast');
    this.lan.deliver({ from: { address: this.address, port: 5353 }, to: 'multicast', bytes: message });
  }

  async sendUnicast(message: Buffer, to: RemoteInfo): Promise<void> {
    if (!this.opened) throw new Error('send on a closed transport');
    this.events.push(`unicast ${to.address}:${to.port}`);
    this.lan.deliver({ from: { address: this.address, port: 5353 }, to, bytes: message });
  }

  async close(): Promise<void> {
    this.events.push('close');
    this.opened = false;
    this.lan.members.delete(this);
  }

  receive(bytes: Buffer, from: RemoteInfo): void {
    if (this.opened) this.emit('message', bytes, from);
  }
}
