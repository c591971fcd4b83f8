/** RFC 9110 section 5.6.2 `token`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * Header fields of an HTTP head. Names are case-insensitive; each field line is kept, so a field
 * that must appear once can be checked, and list fields can be combined (RFC 9110 section 5.3).
 */
export class HeaderFields {
  /** One string per name; an array only once a name repeats (a handshake rarely repeats any). */
  readonly #lines = new Map<string, string | string[]>();

  /** From Node's `IncomingMessage.headersDistinct` (names already lower-case). */
  static fromDistinct(distinct: Record<string, string[] | undefined>): HeaderFields {
    const fields = new HeaderFields();
    for (const [name, values] of Object.entries(distinct)) {
      for (const value of values ?? []) fields.append(name, value);
    }
    return fields;
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const values = this.#lines.get(key);
    if (values === undefined) this.#lines.set(key, value);
    else if (typeof values === 'string') this.#lines.set(key, [values, value]);
    else values.push(value);
  }

  has(name: string): boolean {
    return this.#lines.has(name.toLowerCase());
  }

  /** Number of field lines with this name. */
  count(name: string): number {
    const values = this.#lines.get(name.toLowerCase());
    return values === undefined ? 0 : typeof values === 'string' ? 1 : values.length;
  }

  /** The field lines combined with ", " as RFC 9110 section 5.3 allows for list fields. */
  get(name: string): string | undefined {
    const values = this.#lines.get(name.toLowerCase());
    return typeof values === 'object' ? values.join(', ') : values;
  }

  /** The elements of a comma-separated list field, trimmed, empty elements dropped (RFC 9110 5.6.1). */
  list(name: string): string[] {
    const combined = this.get(name);
    if (combined === undefined) return [];
    return combined
      .split(',')
      .map((element) => element.trim())
      .filter((element) => element !== '');
  }

  /** Whether a list field contains `token`, compared case-insensitively. */
  hasToken(name: string, token: string): boolean {
    const combined = this.get(name);
    if (combined === undefined) return false;
    const wanted = token.toLowerCase();
    for (let start = 0; start <= combined.length; ) {
      let end = combined.indexOf(',', start);
      if (end === -1) end = combined.length;
      let from = start;
      let to = end;
      while (from < to && isWhitespace(combined.charCodeAt(from))) from++;
      while (to > from && isWhitespace(combined.charCodeAt(to - 1))) to--;
      if (to - from === wanted.length && combined.slice(from, to).toLowerCase() === wanted) return true;
      start = end + 1;
    }
    return false;
  }

  /** Lower-case name -> combined value, like Node's `IncomingMessage.headers`. */
  toObject(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [name, values] of this.#lines) result[name] = typeof values === 'string' ? values : values.join(', ');
    return result;
  }
}

/** The whitespace `String.prototype.trim` removes that can occur in a latin1 header value (tab, space, NBSP...). */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0b || code === 0x0c || code === 0x0d || code === 0xa0;
}
