/** One line of standard input, understood. */
export type InputCommand =
  | { type: 'empty' }
  | { type: 'broadcast'; text: string }
  | { type: 'msg'; target: string; text: string }
  | { type: 'peers' }
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'invalid'; message: string };

export function parseInputLine(line: string): InputCommand {
  const trimmed = line.trim();
  if (trimmed === '') return { type: 'empty' };
  if (!trimmed.startsWith('/')) return { type: 'broadcast', text: trimmed };
  const [command, ...rest] = trimmed.split(/\s+/);
  switch (command) {
    case '/peers':
      return { type: 'peers' };
    case '/quit':
      return { type: 'quit' };
    case '/help':
      return { type: 'help' };
    case '/msg': {
      const match = /^\/msg\s+(\S+)\s+(.+)$/.exec(trimmed);
      if (match === null) return { type: 'invalid', message: 'usage: /msg <name-or-id> <text>' };
      return { type: 'msg', target: match[1], text: match[2] };
    }
    default:
      return { type: 'invalid', message: `unknown command ${command} (try /help)` };
  }
}

export const INPUT_HELP = 'commands: <text> broadcasts, /msg <name-or-id> <text>, /peers, /quit';
