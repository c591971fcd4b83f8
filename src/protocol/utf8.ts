import { isUtf8 } from 'node:buffer';

/**
 * Text payloads the codec validated and delivered as bytes (`textAsBuffer`) need no second `isUtf8` pass when
 * the application sends them back as text (an echo, a relay): the payload being delivered, while its 'message'
 * listeners run (a few per cent of a 1 KiB text echo), and, from this size up, any payload delivered earlier
 * (a WeakSet; below this size a check costs less than remembering).
 */
const REMEMBERED_TEXT_MIN = 16 * 1024;
const validatedText = new WeakSet<Uint8Array>();
/** The validated text payload whose 'message' listeners are running (synchronously), or null. */
let deliveringText: Uint8Array | null = null;

/**
 * Hands a validated text payload to `handler.message` (its 'message' listeners). While they run, and for a
 * large one later too, sending the same buffer as text skips the UTF-8 check.
 */
export function deliverValidatedText<B extends Uint8Array>(handler: { message(data: B, isBinary: boolean): void }, bytes: B): void {
  if (bytes.length >= REMEMBERED_TEXT_MIN) validatedText.add(bytes);
  const outer = deliveringText;
  deliveringText = bytes;
  try {
    handler.message(bytes, false);
  } finally {
    deliveringText = outer;
  }
}

/**
 * Whether `bytes` may be sent as text: valid UTF-8, or a payload the codec itself validated when it received
 * it (the application is trusted not to have modified that buffer since).
 */
export function isSendableText(bytes: Parameters<typeof isUtf8>[0]): boolean {
  return bytes === deliveringText || (bytes.byteLength >= REMEMBERED_TEXT_MIN && validatedText.has(bytes as Uint8Array)) || isUtf8(bytes);
}

/** Length of the UTF-8 sequence a lead byte starts, or 0 if the byte cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Allowed range of the byte after `lead` (RFC 3629 section 4): excludes overlongs, surrogates, > U+10FFFF. */
function isValidSecondByte(lead: number, byte: number): boolean {
  switch (lead) {
    case 0xe0: return byte >= 0xa0 && byte <= 0xbf;
    case 0xed: return byte >= 0x80 && byte <= 0x9f;
    case 0xf0: return byte >= 0x90 && byte <= 0xbf;
    case 0xf4: return byte >= 0x80 && byte <= 0x8f;
    default: return byte >= 0x80 && byte <= 0xbf;
  }
}

/** Whether `bytes[0..length)` can still grow into a valid UTF-8 sequence. */
function isValidIncompleteSequence(bytes: Uint8Array, length: number): boolean {
  const lead = bytes[0]!;
  if (sequenceLength(lead) <= length) return false;
  if (length >= 2 && !isValidSecondByte(lead, bytes[1]!)) return false;
  return length < 3 || (bytes[2]! >= 0x80 && bytes[2]! <= 0xbf);
}

/**
 * Validates UTF-8 arriving in pieces (the fragments of a text message), failing on the piece where an
 * invalid sequence becomes certain. A character may be split across pieces.
 */
export class Utf8StreamValidator {
  /** A character cut off by the end of the last piece; allocated on first use (most connections never need it). */
  private pendingBytes: Uint8Array | null = null;
  private pendingLength = 0;

  private get pending(): Uint8Array {
    return (this.pendingBytes ??= new Uint8Array(4));
  }

  /** Returns false as soon as the bytes seen so far cannot be valid UTF-8. */
  push(chunk: Uint8Array): boolean {
    let start = 0;
    if (this.pendingLength > 0) {
      const needed = sequenceLength(this.pending[0]!);
      while (this.pendingLength < needed && start < chunk.length) this.pending[this.pendingLength++] = chunk[start++]!;
      if (this.pendingLength < needed) return isValidIncompleteSequence(this.pending, this.pendingLength);
      if (!isUtf8(this.pending.subarray(0, needed))) return false;
      this.pendingLength = 0;
    }
    const tailStart = incompleteTailStart(chunk, start);
    if (!isUtf8(chunk.subarray(start, tailStart))) return false;
    for (let i = tailStart; i < chunk.length; i++) this.pending[this.pendingLength++] = chunk[i]!;
    return this.pendingLength === 0 || isValidIncompleteSequence(this.pending, this.pendingLength);
  }

  /** Whether the stream ended on a character boundary. Resets the validator. */
  end(): boolean {
    const complete = this.pendingLength === 0;
    this.pendingLength = 0;
    return complete;
  }
}

/** Index where a sequence that is cut off by the end of `chunk` begins (chunk.length if none). */
function incompleteTailStart(chunk: Uint8Array, from: number): number {
  for (let back = 1; back <= 3 && chunk.length - back >= from; back++) {
    const byte = chunk[chunk.length - back]!;
    if ((byte & 0xc0) !== 0x80) {
      return sequenceLength(byte) > back ? chunk.length - back : chunk.length;
    }
  }
  return chunk.length;
}

/** Cuts `text` to at most `maxBytes` bytes of UTF-8 without splitting a character (close reasons, DNS labels). */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
