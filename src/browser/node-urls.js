// @ts-check

/**
 * The WebSocket URL of a node and the URL of its `/access` check, from `ws(s)://` or `http(s)://`.
 * @param {string} url
 * @returns {{ socketUrl: string, accessUrl: string, host: string }}
 */
export function nodeUrls(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(url)}`);
  }
  const secure = parsed.protocol === 'wss:' || parsed.protocol === 'https:';
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) {
    throw new TypeError(`a node URL must start with ws://, wss://, http:// or https://, got ${JSON.stringify(url)}`);
  }
  const socket = new URL(parsed.href);
  socket.protocol = secure ? 'wss:' : 'ws:';
  socket.hash = '';
  const access = new URL('/access', parsed.href);
  access.protocol = secure ? 'https:' : 'http:';
  return { socketUrl: socket.href, accessUrl: access.href, host: parsed.host };
}
