import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 128-bit challenge, hex. */
export function createNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Proof that the sender knows the secret: HMAC-SHA256(secret, "wsmesh.v1 auth|" + senderId + "|" +
 * senderNonce + "|" + receiverNonce), hex. Both nonces are fresh per connection, so a proof cannot be
 * replayed, and the sender's id and nonce come first, so a proof cannot be reflected back to its author.
 */
export function computeProof(secret: string | Uint8Array, senderId: string, senderNonce: string, receiverNonce: string): string {
  return createHmac('sha256', secret).update(`wsmesh.v1 auth|${senderId}|${senderNonce}|${receiverNonce}`).digest('hex');
}

export function verifyProof(
  secret: string | Uint8Array,
  proof: string,
  senderId: string,
  senderNonce: string,
  receiverNonce: string,
): boolean {
  const expected = Buffer.from(computeProof(secret, senderId, senderNonce, receiverNonce), 'hex');
  const received = Buffer.from(proof, 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}
