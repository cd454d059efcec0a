import { scalar, type Scalar } from '../backend.ts';
import { philox4x32, seedKey } from '../host/philox.ts';

/** The integer threshold on the top 24 bits of a Philox word: an element is kept iff (w >> 8) ≥ threshold. */
export function dropoutThreshold(p: number): number {
  return Math.min(2 ** 24, Math.max(0, Math.round(p * 2 ** 24)));
}

/**
 * out = x·mask/(1 − p), mask_i = [(w_i >> 8) ≥ round(p·2^24)] with w_i word
 * i%4 of philox(block i/4, counter; seed). The mask is a pure function of
 * (seed, counter, i), so backward regenerates it: the backward of dropout is
 * the same op applied to the gradient.
 */
export function dropout(out: Float32Array, x: Float32Array, n: number, p: number, seedArg: Scalar, counterArg: Scalar): void {
  const seed = scalar(seedArg), counter = scalar(counterArg);
  const [k0, k1] = seedKey(seed);
  const thr = dropoutThreshold(p), scale = p >= 1 ? 0 : 1 / (1 - p);
  for (let blk = 0; blk * 4 < n; blk++) {
    const w = philox4x32(blk >>> 0, counter >>> 0, 0, 0, k0, k1);
    for (let j = 0; j < 4 && blk * 4 + j < n; j++) {
      const i = blk * 4 + j;
      out[i] = (w[j] >>> 8) >= thr ? x[i] * scale : 0;
    }
  }
}
