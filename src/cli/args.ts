import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { normalizePeerUrl } from '../mesh/options.ts';
import type { MeshNodeOptions } from '../mesh/options.ts';
import { parseAllowedOrigin } from '../web/origin-policy.ts';
import { parseAllowedHost } from '../web/host-check.ts';
import { COMPRESSION_MODES, type Compression } from '../mesh/compression.ts';
import { looseModeProblem } from '../mesh/identity-file.ts';
import { checkSecret } from '../wire/identity.js';

/** The port the CLI listens on unless told otherwise (the API's default is 0, any free port). */
export const DEFAULT_CLI_PORT = 7447;

export const USAGE = `usage: wsmesh [options]

Starts a wsmesh node: listens, dials its peers, and chats over the mesh.

options:
  --name N            name shown to peers (default: the host name)
  --port P            port to listen on (default ${DEFAULT_CLI_PORT}; 0 = any free port)
  --host H            address to listen on (default ::, i.e. IPv4 and IPv6; 0.0.0.0 = IPv4 only)
  --mesh M            mesh name; nodes of other meshes are refused (default wsmesh)
  --secret-file F     file holding the mesh secret (>= 12 characters; keys the encrypted links);
                      without it the mesh is open: anyone who reaches the port may join
  --peer URL          ws://host:port/ of a peer to dial; repeat for more
  --no-mdns           do not discover peers with mDNS
  --interface NAME    network interface for mDNS over IPv4 and IPv6 (default: every non-internal one,
                      followed as interfaces come and go)
  --json              print every event as one JSON object per line
  --key-file F        identity key file, created on first start (default
                      $XDG_CONFIG_HOME/wsmesh/identity.key); the peer id derives from the key
  --ephemeral-key     a new identity for this run only (nothing written)
  --ping-interval MS  ms between pings (default 5000)
  --ping-timeout MS   ms to wait for a pong (default 5000)
  --allow-origin O    let web pages from origin O (http://host:port, null or *) join; repeat for more
                      (default: only pages this node served itself)
  --allow-host NAME   answer HTTP requests that call this node NAME (a DNS name); repeat for more
                      (default: IP addresses, localhost and the machine's name only)
  --compression C     permessage-deflate: off, browsers or all (default off: links are
                      encrypted, and ciphertext does not compress)
  --max-peers N       direct links (nodes and browsers) at most (default 64)
  --max-peers-per-address N
                      established inbound peers from one IP (default max-peers / 2, rounded up)
  --max-pending N     connections not yet established peers, over all IPs (default 256)
  --max-pending-per-address N
                      connections one IP may hold before its peers finish hello (default 64)
  --max-known-peers N peers learnt through other nodes kept in the table (default 4096)
  --forget-after MS   forget a peer neither connected nor reachable this long (default 300000)
  --no-dial-learnt    do not dial addresses learnt from other nodes' links records
  --wait MS           input from a pipe or file: ms to wait for a first peer before sending
                      (default 10000); when the input ends, wsmesh waits for acks and exits
  --help              show this help

standard input:
  <text>              broadcast <text> to the whole mesh
  /msg <peer> <text>  send <text> to one peer (name, id or id prefix)
  /peers              show the peer table
  /quit               leave (closes every connection with 1001)
`;

/** A problem with the command line: the CLI prints it with the usage hint and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CliCommand = { help: true } | { help: false; json: boolean; wait: number; node: MeshNodeOptions; warnings: string[] };

/** How long piped input waits for a first peer unless --wait says otherwise. */
export const DEFAULT_WAIT_MS = 10_000;

function integer(option: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`--${option} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function readSecret(path: string, warnings: string[]): string {
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(`cannot read --secret-file ${path}: ${(error as Error).message}`);
  }
  if (secret.length === 0) throw new UsageError(`--secret-file ${path} is empty`);
  try {
    checkSecret(secret);
  } catch (error) {
    throw new UsageError(`--secret-file ${path}: ${(error as Error).message}`);
  }
  const loose = looseModeProblem(path, 'secret file');
  if (loose !== null) warnings.push(loose);
  return secret;
}

/** The mesh limits of issue 14 (only those given: the node's defaults apply to the rest). */
function limits(values: Record<string, string | boolean | string[] | undefined>): MeshNodeOptions {
  const number = (option: string, max: number) => integer(option, values[option] as string | undefined, 1, max);
  const options: MeshNodeOptions = {
    maxPeers: number('max-peers', 100_000),
    maxPeersPerAddress: number('max-peers-per-address', 100_000),
    maxPending: number('max-pending', 100_000),
    maxKnownPeers: number('max-known-peers', 1_000_000),
    forgetAfter: number('forget-after', 2_147_483_647),
    dialLearnt: values['no-dial-learnt'] === true ? false : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

export function parseCliArgs(argv: string[]): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        mesh: { type: 'string' },
        'secret-file': { type: 'string' },
        peer: { type: 'string', multiple: true },
        'no-mdns': { type: 'boolean' },
        interface: { type: 'string' },
        json: { type: 'boolean' },
        id: { type: 'string' },
        'key-file': { type: 'string' },
        'ephemeral-key': { type: 'boolean' },
        'ping-interval': { type: 'string' },
        'ping-timeout': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'allow-host': { type: 'string', multiple: true },
        compression: { type: 'string' },
        'max-peers': { type: 'string' },
        'max-peers-per-address': { type: 'string' },
        'max-pending': { type: 'string' },
        'max-pending-per-address': { type: 'string' },
        'max-known-peers': { type: 'string' },
        'forget-after': { type: 'string' },
        'no-dial-learnt': { type: 'boolean' },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  if (values.id !== undefined) throw new UsageError('--id was removed: the id derives from the identity key (--key-file)');
  for (const option of ['name', 'mesh', 'host', 'interface'] as const) {
    const value = values[option];
    if (value !== undefined && (value.length === 0 || value.length > 128)) throw new UsageError(`--${option} must be 1 to 128 characters`);
  }
  const peers = (values.peer ?? []).map((url) => {
    try {
      return normalizePeerUrl(url);
    } catch (error) {
      throw new UsageError(`--peer: ${(error as Error).message}`);
    }
  });
  const allowOrigins = (values['allow-origin'] ?? []).map((origin) => {
    try {
      return parseAllowedOrigin(origin);
    } catch (error) {
      throw new UsageError(`--allow-origin ${(error as Error).message}`);
    }
  });
  const allowHosts = (values['allow-host'] ?? []).map((host) => {
    try {
      return parseAllowedHost(host);
    } catch (error) {
      throw new UsageError(`--allow-host ${(error as Error).message}`);
    }
  });
  const compression = values.compression;
  if (compression !== undefined && !COMPRESSION_MODES.includes(compression as Compression)) {
    throw new UsageError(`--compression must be off, browsers or all, got ${JSON.stringify(compression)}`);
  }
  const warnings: string[] = [];
  return {
    help: false,
    json: values.json ?? false,
    wait: integer('wait', values.wait, 0, 3_600_000) ?? DEFAULT_WAIT_MS,
    warnings,
    node: {
      keyFile: values['key-file'],
      ephemeralIdentity: values['ephemeral-key'] ?? false,
      name: values.name,
      mesh: values.mesh,
      host: values.host ?? '::',
      port: integer('port', values.port, 0, 65535) ?? DEFAULT_CLI_PORT,
      secret: values['secret-file'] === undefined ? undefined : readSecret(values['secret-file'], warnings),
      peers,
      mdns: !values['no-mdns'],
      interface: values.interface,
      pingInterval: integer('ping-interval', values['ping-interval'], 1, 3_600_000),
      pingTimeout: integer('ping-timeout', values['ping-timeout'], 1, 3_600_000),
      allowOrigins,
      allowHosts,
      compression: compression as Compression | undefined,
      maxPendingPerAddress: integer('max-pending-per-address', values['max-pending-per-address'], 1, 100_000),
      ...limits(values),
    },
  };
}
