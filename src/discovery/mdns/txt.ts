/**
 * DNS-SD TXT record data (RFC 6763 §6): a sequence of length-prefixed `key=value` strings.
 * Our own reader and writer, because mdns-js bug 3: dns-js writes each TXT string with its DNS-name writer
 * (`ver=1.2.3` becomes the three strings `ver=1`, `2`, `3`) and misreads strings of 192 bytes or more.
 */

const MAX_STRING_BYTES = 255;

/** Encodes `key=value` strings; an empty record becomes the single empty string RFC 6763 §6.1 asks for. */
export function encodeTxt(entries: Record<string, string>): Buffer {
  const strings: Buffer[] = [];
  for (const [key, value] of Object.entries(entries)) {
    if (key.length === 0 || key.includes('=')) throw new RangeError(`TXT key ${JSON.stringify(key)} is empty or contains "="`);
    const bytes = Buffer.from(`${key}=${value}`, 'utf8');
    if (bytes.length > MAX_STRING_BYTES) throw new RangeError(`TXT entry ${key} is ${bytes.length} bytes, more than 255`);
    strings.push(Buffer.from([bytes.length]), bytes);
  }
  return strings.length === 0 ? Buffer.from([0]) : Buffer.concat(strings);
}

/**
 * Decodes TXT data into a map with lower-cased keys. RFC 6763 §6.4: the first occurrence of a key wins, a key
 * without `=` is a boolean attribute (`true`), empty strings are skipped. A string running past the end ends it.
 */
export function decodeTxt(data: Uint8Array): Map<string, string | true> {
  const entries = new Map<string, string | true>();
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset]!;
    const start = offset + 1;
    const end = start + length;
    if (end > data.length) break;
    offset = end;
    if (length === 0) continue;
    const text = Buffer.from(data.buffer, data.byteOffset + start, length).toString('utf8');
    const equals = text.indexOf('=');
    const key = (equals < 0 ? text : text.slice(0, equals)).toLowerCase();
    if (key.length === 0 || entries.has(key)) continue;
    entries.set(key, equals < 0 ? true : text.slice(equals + 1));
  }
  return entries;
}
