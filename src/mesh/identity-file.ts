import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { MeshKeyFileError } from '../errors.ts';
import { createIdentity } from '../wire/identity.js';
import type { Identity } from '../wire/identity.js';
import { nodeCrypto } from './node-crypto.ts';

/** `$XDG_CONFIG_HOME/wsmesh/identity.key`, or `~/.config/wsmesh/identity.key`. */
export function defaultKeyFile(): string {
  const config = process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config');
  return path.join(config, 'wsmesh', 'identity.key');
}

/** Why a file must not be readable by others, or null when its mode is fine. */
export function looseModeProblem(file: string, what: string): string | null {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  const who = (mode & 0o007) !== 0 ? 'others' : 'group';
  return `${what} ${file} is readable by ${who} (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${file}`;
}

/**
 * The node's identity from its key file (an Ed25519 private key, PKCS#8 PEM as `openssl genpkey -algorithm
 * ed25519` writes it); created with mode 0600 (its directory 0700) when missing. A key file that group or others
 * may read is refused: whoever reads it can be this node. Every problem is a `MeshKeyFileError`.
 */
export function loadOrCreateIdentity(file: string): Identity {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new MeshKeyFileError(`cannot read key file ${file}: ${(error as Error).message}`);
    const identity = createIdentity(nodeCrypto);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), identity.privateKey]), format: 'der', type: 'pkcs8' });
    try {
      writeFileSync(file, key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
      return identity;
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw new MeshKeyFileError(`cannot create key file ${file}: ${(writeError as Error).message}`);
      pem = readFileSync(file, 'utf8');
    }
  }
  const problem = looseModeProblem(file, 'key file');
  if (problem !== null) throw new MeshKeyFileError(problem);
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    // OpenSSL's own words ("error:1E08010C:DECODER routines::unsupported") tell a user nothing.
    throw new MeshKeyFileError(`key file ${file} does not hold a private key (expected an Ed25519 key in PKCS#8 PEM, as \`openssl genpkey -algorithm ed25519\` writes; move the file away to get a new identity)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new MeshKeyFileError(`key file ${file} holds a ${key.asymmetricKeyType} key, expected ed25519`);
  const seed = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }).subarray(-32));
  const identity = createIdentity(nodeCrypto, seed);
  if (Buffer.compare(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32), identity.publicKey) !== 0) {
    throw new MeshKeyFileError(`key file ${file}: inconsistent key`);
  }
  return identity;
}
