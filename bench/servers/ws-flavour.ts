import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** "ws 8.23.0, bufferutil native": which masking code ws uses in this process. */
export function describeWs(): string {
  const wsVersion = (require('ws/package.json') as { version: string }).version;
  return `ws ${wsVersion}, bufferutil ${bufferutilFlavour()}`;
}

/** native: the prebuilt addon loads; fallback: only its JS fallback; disabled: WS_NO_BUFFER_UTIL is set. */
export function bufferutilFlavour(): 'native' | 'fallback' | 'disabled' | 'missing' {
  if (process.env.WS_NO_BUFFER_UTIL) return 'disabled';
  try {
    const requireFromWs = createRequire(require.resolve('ws'));
    const bufferutil = requireFromWs('bufferutil') as { mask: () => void };
    return bufferutil.mask.toString().includes('[native code]') ? 'native' : 'fallback';
  } catch {
    return 'missing';
  }
}
