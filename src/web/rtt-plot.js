// @ts-check
// Round-trip times per peer over the last minutes, drawn as a small SVG line (no HTML is built from data).

const SVG = 'http://www.w3.org/2000/svg';
export const WINDOW_MS = 5 * 60_000;
const MIN_SPACING_MS = 1000;
const WIDTH = 100;
const HEIGHT = 24;

/** @typedef {{ at: number, rtt: number }} RttSample */

export class RttHistory {
  /** @type {Map<string, RttSample[]>} */
  #samples = new Map();

  /** @param {string} peerId @param {number} rtt @param {number} now */
  record(peerId, rtt, now) {
    let samples = this.#samples.get(peerId);
    if (samples === undefined) this.#samples.set(peerId, (samples = []));
    const last = samples.at(-1);
    if (last !== undefined && now - last.at < MIN_SPACING_MS) last.rtt = rtt;
    else samples.push({ at: now, rtt });
    while (samples.length > 0 && now - samples[0].at > WINDOW_MS) samples.shift();
  }

  /** @param {string} peerId @returns {RttSample[]} */
  samples(peerId) {
    return this.#samples.get(peerId) ?? [];
  }
}

/** An empty plot for one table cell. */
export function createRttPlot() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'rtt-plot');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const baseline = document.createElementNS(SVG, 'line');
  baseline.setAttribute('x1', '0');
  baseline.setAttribute('x2', String(WIDTH));
  baseline.setAttribute('y1', String(HEIGHT - 0.5));
  baseline.setAttribute('y2', String(HEIGHT - 0.5));
  const line = document.createElementNS(SVG, 'polyline');
  const title = document.createElementNS(SVG, 'title');
  svg.append(title, baseline, line);
  return svg;
}

/** @param {number} ms */
function formatSpan(ms) {
  return ms < 90_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * Redraws a plot: time on x (from the oldest sample kept, at most WINDOW_MS ago, up to `now`), RTT on y
 * scaled to the largest sample.
 * @param {SVGSVGElement} svg @param {RttSample[]} samples @param {number} now
 */
export function drawRttPlot(svg, samples, now) {
  const line = /** @type {SVGPolylineElement} */ (svg.querySelector('polyline'));
  const title = /** @type {SVGTitleElement} */ (svg.querySelector('svg > title'));
  if (samples.length === 0) {
    line.setAttribute('points', '');
    title.textContent = 'no round trips measured yet';
    svg.setAttribute('aria-label', title.textContent);
    return;
  }
  const rtts = samples.map((sample) => sample.rtt);
  const top = Math.max(1, ...rtts) * 1.1;
  const span = Math.min(WINDOW_MS, Math.max(10_000, now - samples[0].at));
  const points = samples.map(({ at, rtt }) => {
    const x = Math.max(0, WIDTH - ((now - at) / span) * WIDTH);
    const y = HEIGHT - 1 - (rtt / top) * (HEIGHT - 2);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  if (points.length === 1) points.push(`${WIDTH},${points[0].split(',')[1]}`);
  line.setAttribute('points', points.join(' '));
  const average = rtts.reduce((sum, rtt) => sum + rtt, 0) / rtts.length;
  title.textContent = `RTT over the last ${formatSpan(span)}: min ${Math.min(...rtts).toFixed(1)} ms, ` +
    `avg ${average.toFixed(1)} ms, max ${Math.max(...rtts).toFixed(1)} ms (${rtts.length} samples)`;
  svg.setAttribute('aria-label', title.textContent);
}
