// @ts-check

/** @import { ConnectionStatus, CryptoInfo } from '../browser/index.js' */

/**
 * @typedef {{ tone: 'info' | 'ok' | 'warn' | 'error', text: string, action: 'retry' | 'secret' | null }} StatusText
 */

/**
 * What the status line says for a connection status.
 * @param {ConnectionStatus} status
 * @param {string} host the node's host:port
 * @param {number} now
 * @returns {StatusText}
 */
export function describeStatus(status, host, now) {
  const { state, node, problem, failures } = status;
  const nodeName = node === null ? host : `${node.name} (${host})`;
  switch (state) {
    case 'probing':
    case 'connecting':
      return { tone: 'info', text: failures === 0 ? `Connecting to ${nodeName}…` : `Reconnecting to ${nodeName} (attempt ${failures + 1})…`, action: null };
    case 'open':
      return { tone: 'ok', text: `Connected to node ${nodeName} in mesh "${node?.mesh ?? ''}" (encrypted link, the node's identity checked).`, action: null };
    case 'waiting': {
      const seconds = Math.max(0, Math.ceil(((status.retryAt ?? now) - now) / 1000));
      const why = problem?.message ?? 'Not connected.';
      return { tone: 'warn', text: `${why} Reconnecting in ${seconds} s (attempt ${failures + 1}).`, action: 'retry' };
    }
    case 'stopped': {
      if (problem === null || problem.code === 'closed') return { tone: 'info', text: 'Not connected.', action: 'retry' };
      const needsSecret = problem.code === 'secret-required' || problem.code === 'wrong-secret';
      return { tone: 'error', text: problem.message, action: needsSecret ? 'secret' : 'retry' };
    }
  }
}

/**
 * What the link runs on, in a line under the peer table.
 * @param {CryptoInfo} crypto
 * @param {boolean} openMesh the page joined without a secret
 */
export function describeLink(crypto, openMesh) {
  const exchange = crypto.provider === 'webcrypto' ? 'X25519 from WebCrypto' : 'X25519 from @noble (pure JS, served by the node)';
  const context = crypto.secureContext ? 'a secure context' : 'not a secure context (plain http)';
  const key = crypto.keyStorage === 'webcrypto' ? 'a non-extractable WebCrypto key' : 'a raw key in this browser\'s storage';
  const mesh = openMesh ? ' Open mesh: no secret, anyone who reaches a node can join and read the chat.' : '';
  return `Link: Noise XXpsk3 with ${exchange}; this page is ${context}; your identity is ${key}.${mesh}`;
}
