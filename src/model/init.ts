import { philox4x32, seedKey, toUnit } from '../engine/host/philox.ts';
import type { ParamLayout } from './layout.ts';

/**
 * The reference initialisation (nn.Linear's U(±1/√fan_in), embedding
 * U(±1/√D), norms 1, the zero-initialised layers 0), drawn from the
 * counter-based generator so a seed always gives the same model. Each
 * parameter uses its own counter (its index) so adding a parameter does not
 * shift the others' draws.
 */
export function initParams(layout: ParamLayout, seed: number): Float32Array {
  const out = new Float32Array(layout.total);
  const [k0, k1] = seedKey(seed);
  layout.specs.forEach((spec, index) => {
    const dst = out.subarray(spec.offset, spec.offset + spec.size);
    const init = spec.init;
    if (init.kind === 'ones') dst.fill(1);
    else if (init.kind === 'uniform') {
      for (let i = 0; i < spec.size; i += 4) {
        const w = philox4x32(i >>> 2, index, 0x1417, 0, k0, k1);
        for (let j = 0; j < 4 && i + j < spec.size; j++) dst[i + j] = (2 * toUnit(w[j]) - 1) * init.bound;
      }
    }
  });
  return out;
}
