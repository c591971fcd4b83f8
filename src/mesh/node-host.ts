import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Discovery } from '../discovery/discovery.ts';
import type { OriginCheck, ResolvedOptions } from './options.ts';

/**
 * What a mesh node gets from the layer that composes it (src/node.ts): the answers to plain HTTP requests (the
 * page, `/access`, `/status`, 404), the origin check of WebSocket upgrades, and the default discovery. The mesh
 * itself writes no HTTP response and knows nothing of pages or mDNS.
 */
export interface NodeHost {
  /** Decides on WebSocket upgrades by their Origin header (false: 403). */
  readonly verifyOrigin: OriginCheck | undefined;
  /** Answers a plain HTTP request (not an upgrade). */
  serveHttp(request: IncomingMessage, response: ServerResponse): void;
  /** The discovery to run when the options name none and `mdns` is not false. */
  defaultDiscovery(): Discovery | undefined;
}

/** Builds the host of a node; called once by the node's constructor with its resolved options. */
export type NodeHostFactory<Node> = (node: Node, options: ResolvedOptions) => NodeHost;
