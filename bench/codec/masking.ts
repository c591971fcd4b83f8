import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as MaskModule from '../../src/protocol/mask.ts';
import { importOurs } from '../lib/ours.ts';

/**
 * Masking contenders: ours (the public functions, which pick the JS loop or the WebAssembly kernel by
 * length), each of those two alone, a naive byte loop, bufferutil's native addon, and Buffer.copy as the
 * memcpy limit. 'unmask' works in place; 'mask' copies into another buffer.
 */

export type MaskOperation = 'unmask' | 'mask';
export const MASK_CONTENDERS = ['ours', 'JS loop', 'wasm kernel', 'byte loop', 'bufferutil', 'Buffer.copy'] as const;
export type MaskContender = (typeof MASK_CONTENDERS)[number];

const requireFromHere = createRequire(import.meta.url);

interface Bufferutil {
  mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
  unmask(buffer: Buffer, mask: Buffer): void;
}

function loadNativeBufferutil(): Bufferutil {
  const bufferutil = requireFromHere('bufferutil') as Bufferutil;
  if (!bufferutil.mask.toString().includes('[native code]')) throw new Error('bufferutil loaded its JS fallback, not the native prebuild');
  return bufferutil;
}

function byteLoopUnmask(data: Uint8Array, key: Uint8Array): void {
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3]!;
}

function byteLoopMask(source: Uint8Array, key: Uint8Array, target: Uint8Array, offset: number): void {
  for (let i = 0; i < source.length; i++) target[offset + i] = source[i]! ^ key[i & 3]!;
}

/** The operation for one contender on buffers of `size` bytes. */
export async function maskOperation(contender: MaskContender, operation: MaskOperation, size: number): Promise<() => void> {
  const key = randomBytes(4);
  const source = randomBytes(size);
  const target = Buffer.allocUnsafe(size);
  switch (contender) {
    case 'ours': {
      const { maskInto, unmaskInPlace } = (await importOurs('protocol/mask')) as typeof MaskModule;
      return operation === 'unmask' ? () => unmaskInPlace(source, key) : () => maskInto(source, key, target, 0);
    }
    case 'JS loop':
    case 'wasm kernel': {
      const { maskImplementations } = (await importOurs('protocol/mask')) as typeof MaskModule;
      const impl = contender === 'JS loop' ? maskImplementations.js : maskImplementations.wasm;
      if (impl === null) throw new Error('the WebAssembly masking kernel is unavailable');
      return operation === 'unmask' ? () => impl.xorMaskInPlace(source, key) : () => impl.maskInto(source, key, target, 0);
    }
    case 'byte loop':
      return operation === 'unmask' ? () => byteLoopUnmask(source, key) : () => byteLoopMask(source, key, target, 0);
    case 'bufferutil': {
      const bufferutil = loadNativeBufferutil();
      return operation === 'unmask' ? () => bufferutil.unmask(source, key) : () => bufferutil.mask(source, key, target, 0, size);
    }
    case 'Buffer.copy':
      return () => source.copy(target);
  }
}
