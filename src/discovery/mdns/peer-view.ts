import type { DiscoveredPeer } from '../discovery.ts';
import { RecordType, SERVICE_TYPE } from './constants.ts';
import { compareAddresses, isDialableIpv4, isDialableIpv6, isLoopback } from './interfaces.ts';
import type { RecordCache } from './record-cache.ts';

/**
 * Turns cached records into peers: one per peer id (TXT `id`), addresses merged over every instance that id
 * advertises. mdns-js bug 5 is why this is ours: its browser keys state by the sender's address (two nodes on
 * one host flip-flop), reports every service type, and believes the known answers inside other hosts' queries.
 */

export interface ViewContext {
  selfId: string;
  meshTag: string;
  version: number;
  /** Loopback addresses are dialable only when discovery itself runs on loopback. */
  allowLoopback: boolean;
  /** Most peers in a view; further instances are left out (a flood of forged ones cannot grow it). */
  maxPeers: number;
}

export interface PeerView {
  peers: Map<string, DiscoveredPeer>;
  /** Instances seen through PTR whose SRV, TXT or address is missing: worth a question. */
  incomplete: Array<{ instance: string; target?: string }>;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function usable(address: string, context: ViewContext): boolean {
  if (!isDialableIpv4(address) && !isDialableIpv6(address)) return false;
  return context.allowLoopback || !isLoopback(address);
}

/** The instance label (the part before the service type), used as a name when TXT carries none. */
export function labelOfInstance(instance: string): string {
  const suffix = `.${SERVICE_TYPE}`;
  return instance.toLowerCase().endsWith(suffix) ? instance.slice(0, instance.length - suffix.length) : instance;
}

export function buildPeerView(cache: RecordCache, context: ViewContext): PeerView {
  const peers = new Map<string, DiscoveredPeer & { seenAt: number }>();
  const incomplete: PeerView['incomplete'] = [];
  const instances = new Set<string>();
  for (const pointer of cache.find(SERVICE_TYPE, RecordType.PTR)) instances.add(pointer.record.ptr!);
  for (const instance of instances) {
    const service = cache.find(instance, RecordType.SRV)[0];
    const text = cache.find(instance, RecordType.TXT)[0];
    if (!service || !text) {
      incomplete.push({ instance });
      continue;
    }
    const txt = text.record.txt!;
    const id = txt.get('id');
    const version = Number(txt.get('v'));
    const mesh = txt.get('mesh');
    if (typeof id !== 'string' || !ID_PATTERN.test(id) || !Number.isInteger(version) || typeof mesh !== 'string') continue;
    if (id === context.selfId || mesh !== context.meshTag || version !== context.version) continue;
    const { port, target } = service.record.srv!;
    // Address records were checked against the receiving interface's subnet when they came in.
    const records = [...cache.find(target, RecordType.A), ...cache.find(target, RecordType.AAAA)];
    let addresses = records.map((entry) => entry.record.address!).filter((a) => usable(a, context));
    if (addresses.length === 0) {
      incomplete.push({ instance, target });
      // Without A records, the responder's own source address still reaches it.
      addresses = usable(service.source, context) ? [service.source] : [];
      if (addresses.length === 0) continue;
    }
    const name = txt.get('name');
    const path = txt.get('path');
    const seenAt = Math.max(service.receivedAt, text.receivedAt);
    const known = peers.get(id);
    const peer = {
      id,
      name: typeof name === 'string' && name.length > 0 ? name : labelOfInstance(instance),
      mesh,
      version,
      addresses,
      port,
      path: typeof path === 'string' && path.startsWith('/') ? path : '/',
      source: 'mdns',
      seenAt,
    };
    if (!known) {
      if (peers.size >= context.maxPeers) continue;
      peers.set(id, peer);
      continue;
    }
    const newer = seenAt >= known.seenAt ? peer : known;
    const merged = [...new Set([...known.addresses, ...addresses])];
    peers.set(id, { ...newer, addresses: merged });
  }
  const result = new Map<string, DiscoveredPeer>();
  for (const [id, { seenAt: _seenAt, ...peer }] of peers) {
    result.set(id, { ...peer, addresses: [...peer.addresses].sort(compareAddresses) });
  }
  return { peers: result, incomplete };
}

/** Which peers appeared or changed (`found`) and which went (`lost`) between two views. */
export function diffPeers(
  before: ReadonlyMap<string, DiscoveredPeer>,
  after: ReadonlyMap<string, DiscoveredPeer>,
): { found: DiscoveredPeer[]; lost: string[] } {
  const found: DiscoveredPeer[] = [];
  const lost: string[] = [];
  for (const [id, peer] of after) {
    const previous = before.get(id);
    if (!previous || JSON.stringify(previous) !== JSON.stringify(peer)) found.push(peer);
  }
  for (const id of before.keys()) if (!after.has(id)) lost.push(id);
  return { found, lost };
}
