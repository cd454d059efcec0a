/**
 * Host-side randomness for the FLM math (times t, permutations, boundary
 * coin flips), drawn from the same counter-based generator as the noise
 * kernels: a stream is (seed, purpose, index), so step k of a run always
 * draws the same numbers, and a resumed run continues exactly.
 */
import { philox4x32, seedKey, toUnit } from '../engine/host/philox.ts';

/** Named sub-streams, so different uses never share numbers. */
export const STREAM = {
  trainTimes: 1,
  trainNoise: 2,
  evalNoise: 3,
  sampleNoise: 4,
  init: 5,
  batches: 6,
  distillTimes: 7,
  baselines: 8,
} as const;

export class CounterRng {
  private block = 0;
  private words: number[] = [];
  private readonly key: [number, number];
  constructor(seed: number, private readonly stream: number, private readonly index: number) {
    this.key = seedKey(seed);
  }
  nextU32(): number {
    if (this.words.length === 0) {
      const w = philox4x32(this.block++, this.index >>> 0, this.stream, 0xf1a5, this.key[0], this.key[1]);
      this.words = [w[3], w[2], w[1], w[0]];
    }
    return this.words.pop()!;
  }
  /** Uniform in (0, 1). */
  uniform(): number {
    return toUnit(this.nextU32());
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
}

/**
 * Antithetic times (spec section 4): u_i ~ U(0,1), t_i = (u_i/B + i/B) mod 1,
 * randomly permuted, then scaled to [tMin, tMax].
 */
export function antitheticTimes(rng: CounterRng, batch: number, tMin = 0, tMax = 1): Float32Array {
  const t = new Float64Array(batch);
  for (let i = 0; i < batch; i++) t[i] = (rng.uniform() / batch + i / batch) % 1;
  for (let i = batch - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tmp = t[i]; t[i] = t[j]; t[j] = tmp;
  }
  return Float32Array.from(t, (x) => tMin + (tMax - tMin) * x);
}
