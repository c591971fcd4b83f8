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
  readonly #lines = new Map<string, string[]>();

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
    if (values) values.push(value);
    else this.#lines.set(key, [value]);
  }

  has(name: string): boolean {
    return this.#lines.has(name.toLowerCase());
  }

  /** Number of field lines with this name. */
  count(name: string): number {
    return this.#lines.get(name.toLowerCase())?.length ?? 0;
  }

  /** The field lines combined with ", " as RFC 9110 section 5.3 allows for list fields. */
  get(name: string): string | undefined {
    return this.#lines.get(name.toLowerCase())?.join(', ');
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
    const wanted = token.toLowerCase();
    return this.list(name).some((element) => element.toLowerCase() === wanted);
  }

  /** Lower-case name -> combined value, like Node's `IncomingMessage.headers`. */
  toObject(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [name, values] of this.#lines) result[name] = values.join(', ');
    return result;
  }
}
