import { serveCommands } from '../lib/child-ipc.ts';
import { encodePass, parsePass, type FrameContender } from './frames.ts';
import { maskOperation, type MaskContender, type MaskOperation } from './masking.ts';
import { measureRate, repeatedPass, type PassResult } from './timing.ts';

/** Runs one codec micro-benchmark per request, in its own pinned process; passes are built once and cached. */

const passes = new Map<string, () => PassResult>();

async function cached(key: string, build: () => Promise<() => PassResult>): Promise<() => PassResult> {
  let pass = passes.get(key);
  if (!pass) passes.set(key, (pass = await build()));
  return pass;
}

serveCommands(
  {},
  {
    mask: async (payload) => {
      const { contender, operation, size, ms } = payload as { contender: MaskContender; operation: MaskOperation; size: number; ms: number };
      const pass = await cached(`mask ${contender} ${operation} ${size}`, async () => repeatedPass(await maskOperation(contender, operation, size), size));
      return measureRate(pass, ms);
    },
    parse: async (payload) => {
      const { contender, size, binary, textAsBuffer, ms } = payload as { contender: FrameContender; size: number; binary: boolean; textAsBuffer?: boolean; ms: number };
      return measureRate(await cached(`parse ${contender} ${size} ${binary} ${textAsBuffer}`, () => parsePass(contender, size, binary, textAsBuffer)), ms);
    },
    encode: async (payload) => {
      const { contender, role, size, binary, ms } = payload as { contender: FrameContender; role: 'client' | 'server'; size: number; binary: boolean; ms: number };
      return measureRate(await cached(`encode ${contender} ${role} ${size} ${binary}`, () => encodePass(contender, role, size, binary)), ms);
    },
  },
);
