import type { IncomingMessage, ServerResponse } from 'node:http';
import { MdnsDiscovery } from './discovery/mdns/mdns-discovery.ts';
import { WsmeshOptionError } from './errors.ts';
import { requestPath } from './handshake/server-handshake.ts';
import { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from './mesh/envelope.ts';
import { MeshNode } from './mesh/node.ts';
import type { NodeHost } from './mesh/node-host.ts';
import type { MeshNodeOptions, ResolvedOptions } from './mesh/options.ts';
import { parseAllowedHost } from './web/host-check.ts';
import { parseAllowedOrigin } from './web/origin-policy.ts';
import { WebUi } from './web/web-ui.ts';

/**
 * A node as `createNode()` builds it: the one place where the mesh, the page every node serves, its HTTP
 * answers and the default discovery (DNS-SD over mDNS) are put together. Nothing below imports this.
 */
export function createNode(options: MeshNodeOptions = {}): MeshNode {
  return new MeshNode(options, nodeHost);
}

function nodeHost(node: MeshNode, options: ResolvedOptions): NodeHost {
  const allowOrigins = options.allowOrigins.map((origin) => parsed('allowOrigins', origin, parseAllowedOrigin));
  const allowHosts = options.allowHosts.map((host) => parsed('allowHosts', host, parseAllowedHost));
  const auth = options.secret !== undefined;
  const web = new WebUi({ allowOrigins, allowHosts, verifyOrigin: options.verifyOrigin, page: options.webUi, auth, mesh: options.mesh });
  return {
    verifyOrigin: web.verifyOrigin,
    serveHttp: (request, response) => {
      if (options.httpHandler?.(request, response)) return;
      // Every route answers only to the node's own names and addresses (DNS rebinding): 421 otherwise.
      if (web.hosts.refuseForeign(request, response)) return;
      if (web.serve(request, response)) return;
      serveStatusOr404(node, auth, request, response);
    },
    defaultDiscovery: () => new MdnsDiscovery(options.interface === undefined ? {} : { interface: options.interface }),
  };
}

function parsed(option: string, value: string, parse: (value: string) => string): string {
  try {
    return parse(value);
  } catch (error) {
    throw new WsmeshOptionError(`option ${option}: ${(error as Error).message}`);
  }
}

/**
 * `GET /status` (the node's `status()` as JSON); any other path is 404 with a hint for lost WebSocket peers.
 * With a secret, HTTP cannot tell a member from an outsider: /status then says only that (members see the peer
 * table through the mesh).
 */
function serveStatusOr404(node: MeshNode, auth: boolean, request: IncomingMessage, response: ServerResponse): void {
  const path = requestPath(request.url);
  if (request.method === 'GET' && path === '/status') {
    const body = auth
      ? { version: MESH_PROTOCOL_VERSION, auth: true, message: 'this mesh has a secret: its members see its peers through the mesh' }
      : node.status();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end(`no page at ${path}; WebSocket peers connect to / with subprotocol ${MESH_SUBPROTOCOL}\n`);
}
