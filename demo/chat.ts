/**
 * Three wsmesh nodes in one process: they form a mesh over 127.0.0.1, chat, and leave.
 * Run: npx tsx demo/chat.ts
 */
import { createNode } from '../src/node.ts';

async function join(name: string, peers: string[], maxPeers?: number) {
  const node = createNode({ name, peers, host: '127.0.0.1', mdns: false, ephemeralIdentity: true, maxPeers });
  node.on('peer:connected', (peer) => console.log(`${name}: connected to ${peer.name}`));
  node.on('message', (data, { from, to, hops }) => {
    const sender = node.peers().find((peer) => peer.id === from)?.name ?? from;
    console.log(`${name}: <${sender}>${to === null ? '' : ' (direct)'} ${data} [${hops} hop${hops === 1 ? '' : 's'}]`);
  });
  await node.start();
  return node;
}

const alice = await join('alice', [], 1);
const bob = await join('bob', alice.urls);
// carol reaches alice only through bob (alice and carol have room for one peer each, else they would link directly)
const carol = await join('carol', bob.urls, 1);

// Each learns of the other from bob's links records, not necessarily at the same moment: wait for both.
const knows = (node: typeof alice, name: string) => node.peers().some((peer) => peer.name === name && peer.reachable);
while (!knows(alice, 'carol') || !knows(carol, 'alice')) await new Promise((r) => setTimeout(r, 20));

alice.broadcast('hello everyone');
await carol.send(alice.id, 'hi alice, carol here'); // resolves once alice acknowledged it
console.log('carol: alice acknowledged');

await Promise.all([alice.stop(), bob.stop(), carol.stop()]);
