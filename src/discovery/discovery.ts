import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';

/** What a node tells discovery about itself. */
export interface LocalService {
  id: string;
  name: string;
  mesh: string;
  version: number;
  port: number;
  path: string;
}

/** A node that discovery found. */
export interface DiscoveredPeer {
  id: string;
  name: string;
  /** The mesh name, or its `meshTag()` form when the source carries only the tag. */
  mesh: string;
  version: number;
  /** IPs to dial, never loopback when learnt from the network. */
  addresses: string[];
  port: number;
  path: string;
  /** Where it was found: 'mdns', 'static', ... */
  source: string;
}

export interface DiscoveryEvents {
  found: [DiscoveredPeer];
  lost: [id: string];
  unavailable: [reason: string];
}

export interface Discovery extends EventEmitter<DiscoveryEvents> {
  start(self: LocalService): Promise<void>;
  /** Must send its goodbye before closing its sockets. */
  stop(): Promise<void>;
}

/**
 * Short public form of a mesh name, for announcements that should not spell the name out
 * (16 hex digits of SHA-256 over `wsmesh:` + name). Both sides compare tags, so equal names match.
 */
export function meshTag(mesh: string): string {
  return createHash('sha256').update(`wsmesh:${mesh}`).digest('hex').slice(0, 16);
}

/** Whether a discovered peer's mesh field (a name or a tag) belongs to `mesh`. */
export function isSameMesh(discovered: string, mesh: string): boolean {
  return discovered === mesh || discovered === meshTag(mesh);
}
