/**
 * Counter-based Gaussian noise on the host: Box–Muller over the Philox stream
 * (src/engine/host/philox.ts), element for element what the WGSL kernel gives.
 */
import { scalar, type Scalar } from '../backend.ts';
import { philox4x32, seedKey, toUnit } from '../host/philox.ts';

export function gaussian(out: Float32Array, n: number, seedArg: Scalar, counterArg: Scalar): void {
  const seed = scalar(seedArg), counter = scalar(counterArg);
  const [k0, k1] = seedKey(seed);
  const blocks = Math.ceil(n / 4);
  for (let blk = 0; blk < blocks; blk++) {
    const w = philox4x32(blk >>> 0, counter >>> 0, 0, 0, k0, k1);
    for (let pair = 0; pair < 2; pair++) {
      const u1 = toUnit(w[2 * pair]), u2 = toUnit(w[2 * pair + 1]);
      const rad = Math.fround(Math.sqrt(-2 * Math.log(u1)));
      const th = 2 * Math.PI * u2;
      const i = blk * 4 + pair * 2;
      if (i < n) out[i] = rad * Math.cos(th);
      if (i + 1 < n) out[i + 1] = rad * Math.sin(th);
    }
  }
}
