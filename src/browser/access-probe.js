// @ts-check
// A browser learns nothing from a refused WebSocket handshake but "Unexpected response code: 403",
// so before connecting the client asks the node's `/access` (plain HTTP, readable from any origin)
// whether this page may connect, which mesh the node is in (the PSK is derived from its name) and
// whether a secret is needed.

import { problem } from './problems.js';

/** @import { MeshProblem } from './types.js' */

/**
 * @typedef {{ allowed: boolean, origin: string | null, auth: boolean, reason: string, mesh: string | null }} AccessAnswer
 */

const PROBE_TIMEOUT_MS = 5000;

/**
 * @param {unknown} value
 * @returns {AccessAnswer | null}
 */
function parseAnswer(value) {
  if (typeof value !== 'object' || value === null) return null;
  const fields = /** @type {Record<string, unknown>} */ (value);
  if (typeof fields.allowed !== 'boolean') return null;
  return {
    allowed: fields.allowed,
    origin: typeof fields.origin === 'string' ? fields.origin : null,
    auth: fields.auth === true,
    reason: typeof fields.reason === 'string' ? fields.reason : '',
    mesh: typeof fields.mesh === 'string' && fields.mesh.length > 0 ? fields.mesh : null,
  };
}

/**
 * Asks the node; resolves with the problem that makes connecting pointless, or with the node's mesh name
 * (null when the node did not say, e.g. another implementation without `/access`).
 * @param {string} accessUrl
 * @param {string} host for messages
 * @param {boolean} haveSecret
 * @returns {Promise<{ problem: MeshProblem } | { mesh: string | null }>}
 */
export async function probeAccess(accessUrl, host, haveSecret) {
  let response;
  try {
    response = await fetch(accessUrl, { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch {
    return { problem: problem('unreachable', `Cannot reach the node at ${host}.`, false) };
  }
  if (!response.ok) return { mesh: null };
  let answer;
  try {
    answer = parseAnswer(await response.json());
  } catch {
    return { mesh: null };
  }
  if (answer === null) return { mesh: null };
  if (!answer.allowed) {
    const from = answer.origin ?? 'this page';
    return { problem: problem('origin-refused', `The node at ${host} does not accept connections from pages at ${from}. ${answer.reason}`.trim(), true) };
  }
  if (answer.auth && !haveSecret) return { problem: problem('secret-required', 'This mesh needs its secret.', true) };
  return { mesh: answer.mesh };
}
