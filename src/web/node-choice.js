// @ts-check
// Which node the page talks to. By default the one that served it. A `?node=` naming another node is only
// a proposal: the page shows it and waits for the user (app.js), since a link could otherwise send this
// browser's identity, name, messages and a handshake derived from the mesh secret to a node of the link's choice.

/**
 * @typedef {{ own: string, foreign: { url: string, host: string } | null, question: string }} NodeChoice
 */

/**
 * @param {string | null} requested the `?node=` value
 * @param {{ origin: string, host: string, protocol: string }} page the page's location
 * @returns {NodeChoice}
 */
export function describeNodeChoice(requested, page) {
  const own = `${page.origin}/`;
  if (requested === null || requested.trim() === '') return { own, foreign: null, question: '' };
  let url;
  try {
    url = new URL(requested, own);
  } catch {
    return { own, foreign: null, question: '' };
  }
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const known = ['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol);
  const sameNode = known && url.host === page.host && secure === (page.protocol === 'https:');
  if (sameNode) return { own, foreign: null, question: '' };
  const host = known ? url.host : url.href;
  return {
    own,
    foreign: known ? { url: url.href, host } : null,
    question: `This link asks the page to join the mesh through another node, ${host}, instead of ${page.host}, the node that served this page.`,
  };
}
