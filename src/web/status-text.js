// @ts-check

/** @import { ConnectionStatus } from '../browser/index.js' */

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
      return { tone: 'ok', text: `Connected to node ${nodeName} in mesh "${node?.mesh ?? ''}".`, action: null };
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
