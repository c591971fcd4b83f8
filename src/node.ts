import type { IncomingMessage, ServerResponse } from 'node:http';
import { MdnsDiscovery } from './discovery/mdns/mdns-discovery.ts';
import { WsmeshOptionError } from './errors.ts';
import { requestPath } from './handshake/server-handshake.ts';
import { MESH_SUBPROTOCOL } from './mesh/envelope.ts';
import { MeshNode } from './mesh/node.ts';
import type { NodeHost } from './mesh/node-host.ts';
import type { MeshNodeOptions, ResolvedOptions } from './mesh/options.ts';
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
  const allowOrigins = options.allowOrigins.map((origin) => {
    try {
      return parseAllowedOrigin(origin);
    } catch (error) {
      throw new WsmeshOptionError(`option allowOrigins: ${(error as Error).message}`);
    }
  });
  const web = new WebUi({ allowOrigins, verifyOrigin: options.verifyOrigin, page: options.webUi, auth: options.secret !== undefined });
  return {
    verifyOrigin: web.verifyOrigin,
    serveHttp: (request, response) => {
      if (options.httpHandler?.(request, response)) return;
      if (web.serve(request, response)) return;
      serveStatusOr404(node, request, response);
    },
    defaultDiscovery: () => new MdnsDiscovery(options.interface === undefined ? {} : { interface: options.interface }),
  };
}

/** `GET /status` (the node's `status()` as JSON); any other path is 404 with a hint for lost WebSocket peers. */
function serveStatusOr404(node: MeshNode, request: IncomingMessage, response: ServerResponse): void {
  const path = requestPath(request.url);
  if (request.method === 'GET' && path === '/status') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(node.status()));
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end(`no page at ${path}; WebSocket peers connect to / with subprotocol ${MESH_SUBPROTOCOL}\n`);
}
