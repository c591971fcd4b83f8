import { isToken } from './header-fields.ts';

export interface ExtensionOffer {
  name: string;
  /** Parameters in order; `true` for a parameter without a value. */
  params: Array<[name: string, value: string | true]>;
}

/**
 * Parses `Sec-WebSocket-Extensions` values (RFC 6455 section 9.1: a comma list of
 * `token *( ";" token [ "=" (token / quoted-string) ] )`). Returns null when the syntax is broken.
 */
export function parseExtensions(values: readonly string[]): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  for (const value of values) {
    for (const element of splitOutsideQuotes(value, ',')) {
      if (element.trim() === '') continue;
      const [name, ...rawParams] = splitOutsideQuotes(element, ';').map((part) => part.trim());
      if (!name || !isToken(name)) return null;
      const params: ExtensionOffer['params'] = [];
      for (const raw of rawParams) {
        const equals = raw.indexOf('=');
        const paramName = (equals === -1 ? raw : raw.slice(0, equals)).trim();
        if (!isToken(paramName)) return null;
        if (equals === -1) {
          params.push([paramName, true]);
          continue;
        }
        let paramValue = raw.slice(equals + 1).trim();
        if (paramValue.startsWith('"')) {
          if (paramValue.length < 2 || !paramValue.endsWith('"')) return null;
          paramValue = paramValue.slice(1, -1).replace(/\\(.)/g, '$1');
        }
        if (!isToken(paramValue)) return null;
        params.push([paramName, paramValue]);
      }
      offers.push({ name: name.toLowerCase(), params });
    }
  }
  return offers;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '\\' && i + 1 < text.length) {
      current += char + text[++i];
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}
