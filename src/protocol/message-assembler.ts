/**
 * Collects the fragments of one message into a single growing buffer, so that a message sent as many
 * tiny fragments costs its size in memory and not an object per fragment.
 */
export class MessageAssembler {
  private buffer: Buffer | null = null;
  private first: Buffer | null = null;
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  append(fragment: Buffer): void {
    if (this.buffer === null && this.first === null) {
      this.first = fragment;
      this.length = fragment.length;
      return;
    }
    const needed = this.length + fragment.length;
    if (this.buffer === null || this.buffer.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * needed, needed + 16 * 1024 * 1024), 1024));
      if (this.buffer !== null) this.buffer.copy(grown, 0, 0, this.length);
      else this.first!.copy(grown, 0);
      this.buffer = grown;
      this.first = null;
    } else if (this.first !== null) {
      this.first.copy(this.buffer, 0);
      this.first = null;
    }
    fragment.copy(this.buffer, this.length);
    this.length = needed;
  }

  /** The whole message; the assembler is empty afterwards. */
  take(): Buffer {
    const message = this.first ?? this.buffer!.subarray(0, this.length);
    this.reset();
    return message;
  }

  reset(): void {
    this.buffer = null;
    this.first = null;
    this.length = 0;
  }
}
