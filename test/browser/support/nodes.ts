// In-process mesh nodes on 127.0.0.1 that serve the web UI, and what they receive.
import type { MeshNode } from '../../../src/mesh/node.ts';
import type { MeshNodeOptions } from '../../../src/mesh/options.ts';
import type { MessageInfo } from '../../../src/mesh/messenger.ts';
import type { PeerInfo } from '../../../src/mesh/peer-table.ts';
import { withTimeout } from '../../helpers/timeout.ts';
import { startNode, stopAllNodes } from '../../mesh/support.ts';

/** Like the mesh tests' nodes (127.0.0.1, no mDNS), with slack for pongs from a busy browser. */
const WEB_TEST_OPTIONS: MeshNodeOptions = { pingInterval: 500, pingTimeout: 3000, reconnect: { min: 100, max: 1000, jitter: 0.2 } };

export function startWebNode(options: MeshNodeOptions = {}): Promise<MeshNode> {
  return startNode({ ...WEB_TEST_OPTIONS, ...options });
}

/** Stops every node started here (also those stopped already). */
export const stopWebNodes = stopAllNodes;

export function pageUrl(node: MeshNode): string {
  return `http://127.0.0.1:${node.port}/`;
}

/** Polls `check` until it returns a value other than undefined/false; a guard against hangs, not a speed test. */
export function eventually<T>(check: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => {
      const poll = () => {
        const value = check();
        if (value !== undefined && value !== false) resolve(value);
        else setTimeout(poll, 20);
      };
      poll();
    }),
    ms,
    `waiting until ${what}`,
  );
}

export interface Received {
  data: string | Buffer;
  info: MessageInfo;
}

/** Everything a node delivers to its application, in order. */
export class Inbox {
  readonly messages: Received[] = [];

  constructor(node: MeshNode) {
    node.on('message', (data, info) => this.messages.push({ data, info }));
  }

  /** The first message (past or future) whose text is `text`. */
  waitForText(text: string): Promise<Received> {
    return eventually(() => this.messages.find((message) => message.data === text), `a message "${text}"`);
  }

  texts(): string[] {
    return this.messages.map((message) => (typeof message.data === 'string' ? message.data : `<${message.data.length} bytes>`));
  }
}

export function peerEntry(node: MeshNode, id: string): PeerInfo | undefined {
  return node.peers().find((peer) => peer.id === id);
}
