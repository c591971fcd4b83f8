// Compression cases in the spirit of Autobahn groups 12 and 13: messages of many sizes, whole and
// fragmented, in both roles against ws, under each window-size parameter a peer may ask for.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WS, { WebSocketServer as WsServer, type PerMessageDeflateOptions } from 'ws';
import { connect } from '../../src/transport/connect.ts';
import { WebSocketServer } from '../../src/transport/server.ts';

const SIZES = [0, 16, 64, 256, 1024, 4096, 8192, 16384, 65536, 131072];

function payload(size: number, binary: boolean): string | Buffer {
  const text = 'All work and no play makes Jack a dull boy. κόσμε! '.repeat(Math.ceil(size / 40) + 1).slice(0, size);
  return binary ? Buffer.from(text).subarray(0, size) : text;
}

/** Sends every size as text and binary and expects each echoed intact, in order. */
async function echoAll(send: (data: string | Buffer) => void, received: unknown[], wait: () => Promise<unknown>) {
  const expected: Array<string | Buffer> = [];
  for (const size of SIZES) for (const binary of [false, true]) expected.push(payload(size, binary));
  for (const message of expected) send(message);
  while (received.length < expected.length) await wait();
  assert.equal(received, expected);
}

const OFFERS: Array<[string, PerMessageDeflateOptions]> = [
  ['plain offer', { threshold: 0 }],
  ['server_max_window_bits=9', { threshold: 0, serverMaxWindowBits: 9 }],
  ['server_max_window_bits=12, client_max_window_bits=10', { threshold: 0, serverMaxWindowBits: 12, clientMaxWindowBits: 10 }],
  ['server_no_context_takeover', { threshold: 0, serverNoContextTakeover: true }],
];

for (const [name, offer] of OFFERS) {
  for (const fragmentSize of [0, 1000]) {
    test(`ws client (${name}) <-> our server, fragmentSize ${fragmentSize}: every size echoed`, async () => {
      const server = new WebSocketServer({ host: '127.0.0.1', perMessageDeflate: { threshold: 0 }, fragmentSize });
      server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
      const { port } = await server.listen();
      const client = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: offer });
      try {
        await once(client, 'open');
        assert.match(client.extensions, /permessage-deflate/);
        const received: unknown[] = [];
        client.on('message', (data: Buffer, isBinary: boolean) => received.push(isBinary ? data : data.toString()));
        await echoAll((data) => client.send(data), received, () => once(client, 'message'));
      } finally {
        client.terminate();
        await server.close();
      }
    });
  }
}

for (const fragmentSize of [0, 1000]) {
  test(`our client <-> ws server with deflate, fragmentSize ${fragmentSize}: every size echoed`, async () => {
    const wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const ws = await connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, {
      perMessageDeflate: { threshold: 0 },
      fragmentSize,
    });
    try {
      assert.match(ws.extensions, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);
      const received: unknown[] = [];
      ws.on('message', (data) => received.push(data));
      await echoAll((data) => ws.send(data), received, () => once(ws, 'message'));
    } finally {
      ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
}

test.run();
