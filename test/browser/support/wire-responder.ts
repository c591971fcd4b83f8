// The Node side of a wsmesh.v2 link without a mesh node: an HTTP server that serves the page's modules and
// answers WebSockets with the wire module's SecureHandshake (node:crypto). Then either it echoes every mesh
// message upper-cased (the browser handshake test and bench), or (`node: true`) it acts as a minimal node
// for one page: welcome, a peer table, and signed messages both ways (checked with the wire module).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { nodeCrypto } from '../../../src/mesh/node-crypto.ts';
import { fromUtf8, utf8 } from '../../../src/wire/bytes.js';
import { MESH_PROTOCOL_VERSION, MESH_SUBPROTOCOL } from '../../../src/wire/constants.js';
import { WireError } from '../../../src/wire/errors.js';
import type { Hello } from '../../../src/wire/hello.js';
import { createIdentity, derivePsk, type Identity } from '../../../src/wire/identity.js';
import { SecureHandshake, type SecureTransport } from '../../../src/wire/secure-link.js';
import { signMessage, signatureProblem } from '../../../src/wire/signing.js';
import { WebSocketServer } from '../../../src/transport/server.ts';
import { serveWebUi } from '../../../src/web/static-files.ts';
import { closeServer, listenOnFreePort } from '../../helpers/ports.ts';

/** A blank page (no CSP) at the responder's origin, and the page-side script that runs one handshake. */
export const BLANK_PAGE = '/blank.html';
const HANDSHAKE_PAGE_PATH = '/test-support/handshake-page.js';
const HANDSHAKE_PAGE_FILE = new URL('./handshake-page.js', import.meta.url);

export interface Accepted {
  remoteId: string | null;
  remoteHello: Hello | null;
  closeCode: number | null;
  error: string | null;
  /** How many WebSocket messages the page sent (handshake messages included). */
  received: number;
  /** `node` mode: the mesh messages the page sent (decoded JSON), with whether their signature held. */
  messages: Array<{ message: Record<string, unknown>; signatureProblem: string | null }>;
  /** `node` mode: sends a signed text message from the responder (to the page, or a broadcast). */
  sendFromNode?: (text: string, to: string | null) => void;
  /** `node` mode: sends any mesh message as it is (e.g. unsigned, or claiming another origin). */
  sendRaw?: (message: Record<string, unknown>) => void;
}

export interface WireResponder {
  port: number;
  identity: Identity;
  mesh: string;
  /** Every connection accepted since the last `clear()`. */
  accepted: Accepted[];
  close(): Promise<void>;
}

/**
 * `node`: act as a minimal node (see above). `forgedProof`: the responder's identity proof in message 2 is
 * not signed by its identity key (a node pretending to be another), to show that a page then sends nothing.
 */
export async function startWireResponder(mesh: string, secret: string | undefined, mode: { node?: boolean; forgedProof?: boolean } = {}): Promise<WireResponder> {
  const identity = createIdentity(nodeCrypto);
  const psk = await derivePsk(nodeCrypto, mesh, secret);
  const hello: Hello = { v: MESH_PROTOCOL_VERSION, name: 'test-node', mesh, kind: 'node', listen: [], boot: 'b' };
  const accepted: Accepted[] = [];
  const http: Server = createServer((request, response) => {
    if (request.url === BLANK_PAGE) return void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>t</title>');
    if (mode.node && request.url === '/access') {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allowed: true, origin: null, auth: secret !== undefined, reason: '', mesh }));
    }
    if (request.url === HANDSHAKE_PAGE_PATH) return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(HANDSHAKE_PAGE_FILE));
    if (!serveWebUi(request, response)) response.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, protocols: [MESH_SUBPROTOCOL] });
  wss.on('connection', (ws) => {
    const record: Accepted = { remoteId: null, remoteHello: null, closeCode: null, error: null, received: 0, messages: [] };
    accepted.push(record);
    const provider = mode.forgedProof ? { ...nodeCrypto, ed25519Sign: () => new Uint8Array(64).fill(7) } : nodeCrypto;
    const handshake = new SecureHandshake({ provider, initiator: false, identity, psk, hello });
    let queue: Promise<unknown> = handshake.start();
    ws.on('close', (code) => (record.closeCode = code));
    ws.on('message', (data, isBinary) => {
      record.received++;
      queue = queue.then(async () => {
        if (!isBinary) return ws.close(4000, 'binary only');
        try {
          const link = handshake.result;
          if (link === null) {
            for (const out of await handshake.receive(new Uint8Array(data as Buffer))) ws.send(out);
            if (handshake.result !== null) {
              record.remoteId = handshake.result.remote.id;
              record.remoteHello = handshake.result.remote.hello;
              if (mode.node) actAsNode(record, handshake.result.transport, (out) => ws.send(out));
            }
            return;
          }
          const message = link.transport.open(new Uint8Array(data as Buffer));
          if (mode.node) {
            if (message !== null && !message.binary) {
              const decoded = JSON.parse(fromUtf8(message.data)) as Record<string, unknown>;
              record.messages.push({ message: decoded, signatureProblem: signatureProblem(nodeCrypto, decoded, String(decoded.from)) });
            }
            return;
          }
          if (message !== null) for (const out of link.transport.seal(utf8(fromUtf8(message.data).toUpperCase()), false)) ws.send(out);
        } catch (error) {
          record.error = String(error);
          ws.close(error instanceof WireError ? error.code : 1011, String(error).slice(0, 100));
        }
      });
    });
  });
  /** Welcome, a peer table naming the node and the page, and a way to send the page signed messages. */
  function actAsNode(record: Accepted, transport: SecureTransport, send: (out: Uint8Array) => void): void {
    const sendJson = (message: object) => transport.seal(utf8(JSON.stringify(message)), false).forEach(send);
    sendJson({ t: 'welcome' });
    const page = { id: record.remoteId, name: record.remoteHello!.name, kind: 'browser', state: 'connected', direction: 'inbound', reachable: true, via: null, hops: 1, rtt: 0.8 };
    const other = { id: 'ab'.repeat(16), name: 'far-node', kind: 'node', state: 'connected', direction: 'inbound', reachable: true, via: null, hops: 1, rtt: 2.5 };
    sendJson({ t: 'peers', peers: [page, other] });
    let next = 0;
    record.sendFromNode = (text, to) => {
      sendJson(signMessage(nodeCrypto, identity, { t: 'msg', id: `n${next++}`, from: identity.id, to, ttl: 16, hops: 0, seq: Date.now() * 1000 + next, data: text }));
    };
    record.sendRaw = sendJson;
  }

  const port = await listenOnFreePort(http);
  return {
    port, identity, mesh, accepted,
    async close() {
      await wss.close();
      await closeServer(http);
    },
  };
}

/** What `runHandshake` in the page reports. */
export interface PageHandshake {
  secure: boolean;
  provider: 'noble' | 'webcrypto';
  storage: 'raw' | 'webcrypto';
  id: string;
  pskMs: number;
  remote?: { id: string; name: string; ms: number };
  echo?: string;
  closed?: number;
  reason?: string;
  error?: string | null;
}

/** The page-side call (for `page.evaluate`) that runs one handshake with the responder at `port`. */
export function handshakeScript(port: number, mesh: string, secret: string | undefined, provider: 'auto' | 'noble' | 'webcrypto' = 'auto'): string {
  const options = { url: `ws://127.0.0.1:${port}/`, secret, mesh, provider };
  return `import('${HANDSHAKE_PAGE_PATH}').then((m) => m.runHandshake(${JSON.stringify(options)}))`;
}
