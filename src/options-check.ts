import { WsmeshOptionError } from './errors.ts';

/** What an option may hold: JavaScript types, plus 'array' and 'string[]'. */
export type OptionKind = 'number' | 'string' | 'boolean' | 'function' | 'object' | 'array' | 'string[]';

/** Each option a function accepts, with the kinds of value it may hold. */
export type OptionSchema = Readonly<Record<string, readonly OptionKind[]>>;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value).replace(/^"|"$/g, "'")}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function fits(value: unknown, kind: OptionKind): boolean {
  switch (kind) {
    case 'array':
      return Array.isArray(value);
    case 'string[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === kind;
  }
}

const KIND_NAMES: Record<OptionKind, string> = {
  number: 'a number', string: 'a string', boolean: 'a boolean', function: 'a function', object: 'an object', array: 'an array', 'string[]': 'an array of strings',
};

/** Edit distance counting a swap of neighbours as one edit, to suggest the option a misspelt key meant. */
function distance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

/**
 * Checks options as a plain-JavaScript caller may pass them: an object, only known keys (an unknown one is
 * refused naming the valid ones), each set option of the right kind (undefined counts as not set).
 * Throws `WsmeshOptionError` naming `where`, the option and what it got.
 */
export function checkOptions(where: string, options: unknown, schema: OptionSchema): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new WsmeshOptionError(`${where}: options must be an object, got ${kindOf(options)}`);
  }
  const valid = Object.keys(schema);
  for (const [key, value] of Object.entries(options)) {
    const kinds = schema[key];
    if (kinds === undefined || !Object.hasOwn(schema, key)) {
      const distances = valid.map((name) => distance(name.toLowerCase(), key.toLowerCase()));
      const best = Math.min(...distances);
      const near = valid.filter((_, index) => distances[index] === best && best <= 2);
      const hint = near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : '';
      throw new WsmeshOptionError(`${where}: unknown option '${key}'${hint}; valid options: ${[...valid].sort().join(', ')}`);
    }
    if (value === undefined || kinds.some((kind) => fits(value, kind))) continue;
    throw new WsmeshOptionError(`${where}: option ${key} must be ${kinds.map((kind) => KIND_NAMES[kind]).join(' or ')}, got ${kindOf(value)}`);
  }
}
