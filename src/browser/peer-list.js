// @ts-check

/** @import { MeshPeer, NodeInfo, PeerKind, PeerState } from './types.js' */

const STATES = new Set(['known', 'connecting', 'connected', 'backoff', 'lost']);

/** @param {unknown} value */
const finiteOrNull = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
/** @param {unknown} value */
const stringOrNull = (value) => (typeof value === 'string' ? value : null);

/**
 * One entry of a node's `peers` message, with every field checked (the page shows them), or null.
 * @param {unknown} value
 * @returns {MeshPeer | null}
 */
function toPeer(value) {
  if (typeof value !== 'object' || value === null) return null;
  const fields = /** @type {Record<string, unknown>} */ (value);
  if (typeof fields.id !== 'string' || typeof fields.name !== 'string') return null;
  const direction = fields.direction === 'inbound' || fields.direction === 'outbound' ? fields.direction : null;
  return {
    id: fields.id,
    name: fields.name,
    kind: /** @type {PeerKind} */ (fields.kind === 'browser' ? 'browser' : 'node'),
    state: /** @type {PeerState} */ (STATES.has(/** @type {string} */ (fields.state)) ? fields.state : 'known'),
    direction,
    reachable: fields.reachable === true,
    via: stringOrNull(fields.via),
    hops: finiteOrNull(fields.hops),
    rtt: finiteOrNull(fields.rtt),
  };
}

/**
 * The page's peer list: the node it is attached to first, then the node's table without this page
 * (whose own entry gives the round-trip time between the node and the page) and without browser peers
 * that left (they never come back under the same connection; a returning tab is listed again).
 * @param {NodeInfo} node
 * @param {unknown[]} entries
 * @param {string} selfId
 * @returns {MeshPeer[]}
 */
export function peersFromNode(node, entries, selfId) {
  const peers = entries.map(toPeer).filter((peer) => peer !== null);
  const self = peers.find((peer) => peer.id === selfId);
  /** @type {MeshPeer} */
  const attached = {
    id: node.id, name: node.name, kind: 'node', state: 'connected', direction: 'outbound',
    reachable: true, via: null, hops: 1, rtt: self?.rtt ?? null,
  };
  const listed = peers.filter((peer) => peer.id !== selfId && peer.id !== node.id && (peer.kind === 'node' || peer.reachable));
  return [attached, ...listed];
}
