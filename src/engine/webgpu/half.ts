/**
 * float16 weight storage on the GPU: the engine packs two halves per 32-bit
 * word (element 2i in the low 16 bits, as WGSL's unpack2x16float reads them)
 * and the matmul kernels widen them to f32. The binary16 rounding itself is
 * host math (engine/host/half.ts).
 */
import { fromHalfBits, toHalfBits } from '../host/half.ts';

/** Pack floats as binary16 pairs: word i = half(2i) | half(2i + 1) << 16 (an odd tail is padded with 0). */
export function packHalves(src: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(src.length / 2));
  for (let i = 0; i < out.length; i++) {
    const lo = toHalfBits(src[2 * i]);
    const hi = 2 * i + 1 < src.length ? toHalfBits(src[2 * i + 1]) : 0;
    out[i] = (lo | (hi << 16)) >>> 0;
  }
  return out;
}

/** Unpack `n` binary16 values from packed words. */
export function unpackHalves(words: Uint32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = fromHalfBits((words[i >>> 1] >>> ((i & 1) * 16)) & 0xffff);
  return out;
}
