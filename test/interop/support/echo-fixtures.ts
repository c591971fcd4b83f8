/**
 * Fixed messages that the echo servers send on request ("__fragmented__ text|binary"), so a client can check
 * that it reassembles fragments from a peer it did not write.
 */
import { binaryPayload, textPayload } from '../../helpers/payloads.ts';

/** "aé€😀x": python sends it as 4 text fragments, `ws` as byte fragments that split characters. */
export const FRAGMENTED_TEXT = textPayload(11);
/** Sent as fragments of 65536, 65536 and 1 bytes, with a ping between the first two. */
export const FRAGMENTED_BINARY = binaryPayload(2 * 65536 + 1);
export const PING_BETWEEN_FRAGMENTS = 'between-fragments';

/** The same fragments as test/peers/echo_server.py sends. */
export function fragmentsOf(kind: 'text' | 'binary'): Buffer[] {
  if (kind === 'text') {
    const bytes = Buffer.from(FRAGMENTED_TEXT);
    // 'a' + first byte of 'é' | rest of 'é' + '€' | empty | '😀x'
    return [bytes.subarray(0, 2), bytes.subarray(2, 6), Buffer.alloc(0), bytes.subarray(6)];
  }
  return [FRAGMENTED_BINARY.subarray(0, 65536), FRAGMENTED_BINARY.subarray(65536, 131072), FRAGMENTED_BINARY.subarray(131072)];
}
