/**
 * Commands understood by every echo server used in the interop tests (ours, `ws`, python3-websockets in
 * test/peers/echo_server.py). A text message that is not a command is echoed like any other message.
 *
 *   "__close__"                  -> the server closes with an empty close payload (python: code 1000)
 *   "__close__ <code> <reason>"  -> the server closes with that code and reason
 *   "__ping__ <payload>"         -> the server pings with <payload>; when the pong arrives it sends
 *                                   the text "__pong__ <pong payload>"
 *   "__fragmented__ text|binary" -> the server sends a fixed fragmented message
 *                                   (test/interop/support/echo-fixtures.ts)
 */
export type EchoCommand =
  | { kind: 'close'; code?: number; reason: string }
  | { kind: 'ping'; payload: string }
  | { kind: 'fragmented'; type: 'text' | 'binary' };

export const CLOSE_COMMAND = '__close__';
export const PING_COMMAND = '__ping__';
export const PONG_REPLY = '__pong__';
export const FRAGMENTED_COMMAND = '__fragmented__';

export function closeCommand(code?: number, reason = ''): string {
  return code === undefined ? CLOSE_COMMAND : `${CLOSE_COMMAND} ${code} ${reason}`;
}

export function pingCommand(payload: string): string {
  return `${PING_COMMAND} ${payload}`;
}

export function parseEchoCommand(text: string): EchoCommand | null {
  if (text === CLOSE_COMMAND) return { kind: 'close', reason: '' };
  if (text.startsWith(`${CLOSE_COMMAND} `)) {
    const rest = text.slice(CLOSE_COMMAND.length + 1);
    const space = rest.indexOf(' ');
    const code = Number(space === -1 ? rest : rest.slice(0, space));
    return { kind: 'close', code, reason: space === -1 ? '' : rest.slice(space + 1) };
  }
  if (text.startsWith(`${PING_COMMAND} `)) return { kind: 'ping', payload: text.slice(PING_COMMAND.length + 1) };
  if (text === `${FRAGMENTED_COMMAND} text` || text === `${FRAGMENTED_COMMAND} binary`) {
    return { kind: 'fragmented', type: text.endsWith('text') ? 'text' : 'binary' };
  }
  return null;
}
