// Loads modules of src/browser (plain JS for the browser) into Node for protocol tests. The root
// tsconfig does not type-check JS, so each module's shape is declared here (src/browser has its own
// tsconfig that checks the modules themselves).
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const BROWSER_SOURCE = fileURLToPath(new URL('../../../src/browser/', import.meta.url));

async function load<T>(name: string): Promise<T> {
  const url: string = pathToFileURL(join(BROWSER_SOURCE, name)).href;
  return (await import(url)) as T;
}

export type BrowserFrame = { message: Record<string, unknown> & { t: string }; payload?: Uint8Array };

export interface EnvelopeModule {
  decodeFrame(data: string | ArrayBuffer): BrowserFrame | null;
  encodeApp(header: Record<string, unknown>, data: string | Uint8Array): string | Uint8Array;
}

export interface AuthProofModule {
  hmacHex(secret: string, message: string): Promise<string>;
  computeProof(secret: string, senderId: string, senderNonce: string, receiverNonce: string): Promise<string>;
}

export interface Sha256Module {
  sha256(message: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array;
}

export type BrowserHandshakeStep =
  | { type: 'send'; messages: Array<Record<string, unknown>> }
  | { type: 'fail'; closeCode: number; problem: { code: string; message: string; fatal: boolean } }
  | { type: 'established' };

export interface BrowserHandshake {
  state: string;
  receive(message: unknown): Promise<BrowserHandshakeStep>;
}

export interface LinkHandshakeModule {
  LinkHandshake: new (local: { id: string; name: string; mesh: string | undefined; secret: string | undefined }) => BrowserHandshake;
}

export const loadEnvelope = () => load<EnvelopeModule>('envelope.js');
export const loadAuthProof = () => load<AuthProofModule>('auth-proof.js');
export const loadSha256 = () => load<Sha256Module>('sha256.js');
export const loadLinkHandshake = () => load<LinkHandshakeModule>('link-handshake.js');
