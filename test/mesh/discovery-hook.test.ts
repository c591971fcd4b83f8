import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshTag } from '../../src/discovery/discovery.ts';
import type { DiscoveredPeer, Discovery, DiscoveryEvents, LocalService } from '../../src/discovery/discovery.ts';
import type { PeerInfo } from '../../src/mesh/peer-table.ts';
import { connectedIds, sleep, startNode, stopAllNodes, waitFor } from './support.ts';

/** A discovery driven by the test. */
class ScriptedDiscovery extends EventEmitter<DiscoveryEvents> implements Discovery {
  self: LocalService | null = null;
  stopped = false;
  async start(self: LocalService): Promise<void> {
    this.self = self;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

test.after.each(stopAllNodes);

function found(node: { id: string; name: string; port: number }, overrides: Partial<DiscoveredPeer> = {}): DiscoveredPeer {
  return { id: node.id, name: node.name, mesh: meshTag('wsmesh'), version: 2, addresses: ['127.0.0.1'], port: node.port, path: '/', source: 'mdns', ...overrides };
}

test('found peers are dialled; its own record, other meshes and versions are ignored; lost stops dialling', async () => {
  const discovery = new ScriptedDiscovery();
  const a = await startNode({ name: 'a', discovery });
  assert.equal(discovery.self, { id: a.id, name: 'a', mesh: 'wsmesh', version: 2, port: a.port, path: '/' });
  const events: string[] = [];
  a.on('peer:discovered', (peer: PeerInfo, source: string) => events.push(`discovered ${peer.name} ${source}`));
  a.on('peer:lost', (peer: PeerInfo) => events.push(`lost ${peer.name}`));
  const b = await startNode({ name: 'b' });
  discovery.emit('found', found(a));
  discovery.emit('found', found(b, { mesh: meshTag('other') }));
  discovery.emit('found', found(b, { version: 1 }));
  await sleep(100);
  assert.equal(a.peers(), []);
  discovery.emit('found', found(b));
  await waitFor(() => connectedIds(a).length === 1, 'a dialled the discovered b');
  assert.equal(a.peers()[0].addresses, [{ url: `ws://127.0.0.1:${b.port}/`, source: 'discovery' }]);
  assert.equal(events, ['discovered b mdns']);

  const port = b.port;
  await b.stop();
  await waitFor(() => connectedIds(a).length === 0, 'a saw b leave');
  discovery.emit('lost', b.id);
  assert.equal(events, ['discovered b mdns', 'lost b']);
  assert.equal(a.peers()[0].state, 'lost');
  const again = await startNode({ name: 'b-again', port });
  await sleep(300);
  assert.equal(connectedIds(a), [], 'a peer discovery lost is not redialled');
  assert.equal(connectedIds(again), []);
  await a.stop();
  assert.ok(discovery.stopped);
});

test('discovery unavailable becomes a warning; the node keeps working with static peers', async () => {
  const discovery = new ScriptedDiscovery();
  const a = await startNode({ name: 'a', discovery });
  const warnings: string[] = [];
  a.on('warning', (text: string) => warnings.push(text));
  discovery.emit('unavailable', 'no multicast route');
  assert.equal(warnings, ['discovery unavailable: no multicast route']);
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  await waitFor(() => connectedIds(b).length === 1, 'static peers still connect');
});

test('peer:rtt reports round trips in both roles', async () => {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  const rtts: string[] = [];
  a.on('peer:rtt', (peer: PeerInfo, rtt: number) => rtts.push(`a:${peer.name}:${typeof rtt}`));
  b.on('peer:rtt', (peer: PeerInfo, rtt: number) => rtts.push(`b:${peer.name}:${typeof rtt}`));
  await waitFor(() => rtts.includes('a:b:number') && rtts.includes('b:a:number'), 'both sides measured an RTT');
  const seen = a.peers()[0];
  assert.type(seen.rtt.last, 'number');
  assert.type(seen.rtt.smoothed, 'number');
});

test.run();
