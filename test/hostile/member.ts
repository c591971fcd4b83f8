// A member of the mesh (it has the secret) linked to one node of a small full mesh, for the flood tests.
import type { MeshNode } from '../../src/mesh/node.ts';
import { connectedIds, startNode, waitFor } from '../mesh/support.ts';
import { recordsComplete } from '../scale/support.ts';
import { RawPeer } from '../security/raw-peer.ts';

/** a, b and c in a full mesh holding each other's records, and the member m linked to a (end it after the test). */
export async function meshWithMember(): Promise<{ a: MeshNode; b: MeshNode; c: MeshNode; m: RawPeer }> {
  const a = await startNode({ name: 'a' });
  const b = await startNode({ name: 'b', peers: [a.urls[0]] });
  const c = await startNode({ name: 'c', peers: [a.urls[0], b.urls[0]] });
  await waitFor(() => recordsComplete([a, b, c]), 'a, b and c hold each other\'s records');
  const m = await RawPeer.join(a.urls[0], { name: 'm' });
  await waitFor(() => connectedIds(a).includes(m.id), 'm linked to a');
  return { a, b, c, m };
}

/** The links records of `origin` that `peer` received. */
export const recordsOf = (peer: RawPeer, origin: MeshNode) => peer.messages('links').filter((message) => message.origin === origin.id);

/**
 * Waits until a handled every message m sent before: a pull of `origin` (not asked for over this link in the last
 * 500 ms) is answered over the same link, in order, after the answers to everything m sent ahead of it.
 */
export async function handled(m: RawPeer, origin: MeshNode): Promise<void> {
  const before = recordsOf(m, origin).length;
  m.sendJson({ t: 'digest', have: [[origin.id, 0]], pull: true });
  await waitFor(() => recordsOf(m, origin).length > before, 'a answered the pull sent last');
}
