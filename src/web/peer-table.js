// @ts-check
import { createRttPlot, drawRttPlot } from './rtt-plot.js';

/** @import { MeshPeer } from '../browser/index.js' */
/** @import { RttHistory } from './rtt-plot.js' */

export const MAX_SHOWN_NAME = 64;

/** @param {string} name */
export function shownName(name) {
  return name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME)}…` : name;
}

/** @param {number | null} rtt */
function formatRtt(rtt) {
  if (rtt === null) return '–';
  return rtt < 10 ? `${rtt.toFixed(2)} ms` : `${Math.round(rtt)} ms`;
}

/**
 * @typedef {{ name: HTMLTableCellElement, id: HTMLTableCellElement, kind: HTMLTableCellElement,
 *   state: HTMLTableCellElement, direction: HTMLTableCellElement, via: HTMLTableCellElement,
 *   rtt: HTMLTableCellElement, plot: SVGSVGElement }} RowCells
 */

/** The live peer table; rows are kept per peer id so that their plots persist. Text only, never HTML. */
export class PeerTableView {
  /** @type {Map<string, { row: HTMLTableRowElement, cells: RowCells }>} */
  #rows = new Map();

  /**
   * @param {HTMLTableSectionElement} body
   * @param {(id: string, name: string) => void} onSelect called when a row is clicked
   */
  constructor(body, onSelect) {
    this.body = body;
    this.onSelect = onSelect;
  }

  /**
   * @param {MeshPeer[]} peers the attached node first
   * @param {{ selectedId: string | null, history: RttHistory, now: number }} view
   */
  update(peers, { selectedId, history, now }) {
    const names = new Map(peers.map((peer) => [peer.id, peer.name]));
    const seen = new Set();
    peers.forEach((peer, index) => {
      seen.add(peer.id);
      const { row, cells } = this.#rowFor(peer);
      row.dataset.peerId = peer.id;
      row.dataset.peerName = peer.name;
      row.className = [
        index === 0 ? 'attached' : '',
        peer.reachable ? '' : 'unreachable',
        peer.id === selectedId ? 'selected' : '',
      ].filter(Boolean).join(' ');
      cells.name.textContent = index === 0 ? `${shownName(peer.name)} (your node)` : shownName(peer.name);
      cells.name.title = peer.name;
      cells.id.textContent = peer.id.slice(0, 8);
      cells.id.title = peer.id;
      cells.kind.textContent = peer.kind;
      cells.state.textContent = peer.state === 'connected' || !peer.reachable ? peer.state : 'relayed';
      cells.state.className = `state-${peer.state}`;
      cells.direction.textContent = peer.direction ?? '–';
      cells.via.textContent = peer.via === null ? '–' : shownName(names.get(peer.via) ?? peer.via.slice(0, 8));
      cells.rtt.textContent = formatRtt(peer.rtt);
      drawRttPlot(cells.plot, history.samples(peer.id), now);
      this.body.append(row);
    });
    for (const [id, { row }] of this.#rows) {
      if (seen.has(id)) continue;
      row.remove();
      this.#rows.delete(id);
    }
  }

  /** @param {MeshPeer} peer */
  #rowFor(peer) {
    const existing = this.#rows.get(peer.id);
    if (existing !== undefined) return existing;
    const row = document.createElement('tr');
    const cell = (className = '') => {
      const td = row.insertCell();
      td.className = className;
      return td;
    };
    const cells = {
      name: cell('name'), id: cell('id'), kind: cell(), state: cell(), direction: cell(), via: cell(), rtt: cell('rtt'),
      plot: createRttPlot(),
    };
    cell('plot').append(cells.plot);
    row.addEventListener('click', () => this.onSelect(row.dataset.peerId ?? '', row.dataset.peerName ?? ''));
    const entry = { row, cells };
    this.#rows.set(peer.id, entry);
    return entry;
  }
}
