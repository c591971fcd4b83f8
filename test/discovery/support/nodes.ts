/** Discovery nodes and fake peers on a FakeLan, for unit tests. */
import type { EventEmitter } from 'node:events';
import type { DiscoveredPeer, LocalService } from '../../../src/discovery/discovery.ts';
import { MdnsDiscovery, type MdnsDiscoveryOptions } from '../../../src/discovery/mdns/mdns-discovery.ts';
import { buildOwnService } from '../../../src/discovery/mdns/own-service.ts';
import { encodeMessage, type OutgoingMessage } from '../../../src/discovery/mdns/packet-writer.ts';
import { announcement } from '../../../src/discovery/mdns/responder.ts';
import { FakeLan, type FakeTransport } from './fake-lan.ts';

export interface TestNode {
  discovery: MdnsDiscovery;
  transport: FakeTransport;
  self: LocalService;
  found: DiscoveredPeer[];
  lost: string[];
  unavailable: string[];
}

export function service(id: string, overrides: Partial<LocalService> = {}): LocalService {
  return { id, name: `node-${id}`, mesh: 'test-mesh', version: 1, port: 7000, path: '/', ...overrides };
}

export function createNode(lan: FakeLan, address: string, self: LocalService, options: MdnsDiscoveryOptions = {}): TestNode {
  const transport = lan.transport(address);
  const discovery = new MdnsDiscovery({ transport, networkInterfaces: FakeLan.interfaces(address), ...options });
  const node: TestNode = { discovery, transport, self, found: [], lost: [], unavailable: [] };
  discovery.on('found', (peer) => node.found.push(peer));
  discovery.on('lost', (id) => node.lost.push(id));
  discovery.on('unavailable', (reason) => node.unavailable.push(reason));
  return node;
}

export async function startNode(lan: FakeLan, address: string, self: LocalService, options: MdnsDiscoveryOptions = {}): Promise<TestNode> {
  const node = createNode(lan, address, self, options);
  await node.discovery.start(self);
  return node;
}

/** Resolves when `emitter` emits `event` with arguments that satisfy `predicate`. */
export function waitForEvent<T extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  timeout = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no matching "${event}" event within ${timeout} ms`));
    }, timeout);
    const listener = (...args: unknown[]) => {
      if (!predicate(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    emitter.on(event, listener);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The announcement a peer `self` at `addresses` would send, optionally altered. */
export function peerAnnouncement(self: LocalService, addresses: string[], alter?: (message: OutgoingMessage) => OutgoingMessage): Buffer {
  const message = announcement(buildOwnService(self, addresses));
  return encodeMessage(alter ? alter(message) : message);
}

/** Every record of a message with its TTL replaced. */
export function withTtl(ttl: number): (message: OutgoingMessage) => OutgoingMessage {
  return (message) => ({
    ...message,
    answers: message.answers?.map((record) => ({ ...record, ttl })),
    additionals: message.additionals?.map((record) => ({ ...record, ttl })),
  });
}

/** Polls `condition` every 10 ms until it holds; rejects after `timeout` ms with `what`. */
export async function waitUntil(condition: () => boolean, what: string, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(10);
  }
}
