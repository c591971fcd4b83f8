import { Protocol, type Role } from '../../src/protocol/protocol.ts';
import { WsProtocolError } from '../../src/protocol/errors.ts';
import { Random } from './random.ts';
import { generateStream, mutate, split } from './frame-streams.ts';

export const FUZZ_MAX_PAYLOAD = 100_000;

/**
 * Feeds `pieces` to a Protocol of `role` and checks its invariants: nothing but typed protocol errors
 * inside, no event after the connection ended, no message over maxPayload, and every byte it wrote is
 * accepted by a Protocol of the other role. Throws an Error describing the first violation.
 */
export function checkProtocolStream(role: Role, pieces: readonly Buffer[]): void {
  const written: Buffer[] = [];
  let ended = false;
  const violation = (what: string) => {
    throw new Error(`${role}: ${what}`);
  };
  const protocol = new Protocol(
    { role, maxPayload: FUZZ_MAX_PAYLOAD },
    {
      write: (chunk) => written.push(Buffer.from(chunk)),
      message: (data, isBinary) => {
        if (ended) violation('message after the connection ended');
        if (isBinary !== Buffer.isBuffer(data)) violation('message type does not match isBinary');
        const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
        if (size > FUZZ_MAX_PAYLOAD) violation(`message of ${size} bytes passed maxPayload`);
      },
      ping: () => ended && violation('ping after the connection ended'),
      pong: () => ended && violation('pong after the connection ended'),
      closeFrame: () => {
        if (ended) violation('second end of the connection');
        ended = true;
      },
      protocolError: (error) => {
        if (ended) violation('protocol error after the connection ended');
        if (!(error instanceof WsProtocolError)) violation('untyped protocol error');
        ended = true;
      },
    },
  );
  for (const piece of pieces) protocol.receive(piece);

  let peerError: WsProtocolError | null = null;
  const peer = new Protocol(
    { role: role === 'server' ? 'client' : 'server', maxPayload: FUZZ_MAX_PAYLOAD },
    { write() {}, message() {}, ping() {}, pong() {}, closeFrame() {}, protocolError: (e) => (peerError = e) },
  );
  for (const chunk of written) peer.receive(chunk);
  if (peerError) violation(`wrote bytes its peer rejects: ${(peerError as WsProtocolError).message}`);
}

export interface FuzzFailure {
  role: Role;
  seed: number;
  input: Buffer;
  error: string;
}

export interface FuzzReport {
  cases: number;
  bytes: number;
  failures: FuzzFailure[];
}

/** Runs `iterations` generated (and mostly mutated) streams per role from consecutive seeds. */
export function fuzzProtocol(firstSeed: number, iterations: number): FuzzReport {
  const report: FuzzReport = { cases: 0, bytes: 0, failures: [] };
  for (let seed = firstSeed; seed < firstSeed + iterations; seed++) {
    for (const role of ['server', 'client'] as const) {
      const random = new Random(seed);
      const stream = generateStream(random, role);
      const input = random.chance(0.7) ? mutate(random, stream) : stream;
      report.cases++;
      report.bytes += input.length;
      try {
        checkProtocolStream(role, split(random, input));
      } catch (error) {
        report.failures.push({ role, seed, input, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    }
  }
  return report;
}

export { Random };
