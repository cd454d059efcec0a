import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/timeEmbedding.ts';
import { timeEmbedding } from '../../src/engine/kernels/timeEmbedding.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('timeEmbedding kernel vs the CPU reference', () => {
  // dim 256 is the model's; 7 (odd: last column 0), 2 and 1000 (ω computed in the kernel, half > 256).
  const cases: [number, number][] = [[1, 256], [9, 256], [3, 7], [4, 2], [3, 1000], [2, 512]];
  for (const [batch, dim] of cases) {
    it(`batch=${batch} dim=${dim}, t ∈ [0, 1]`, async () => {
      const gpu = await gpuBackend();
      const t = randomArray(batch, batch * 13 + dim, 0.5).map((v) => v + 0.5);
      t[0] = 1;
      if (batch > 1) t[1] = 0;
      if (batch > 2) t[2] = 1e-4;
      const want = new Float32Array(batch * dim).fill(5);
      ref.timeEmbedding(want, t, batch, dim);
      const tt = gpu.tensor(batch), to = gpu.tensor(batch * dim);
      gpu.write(tt, t);
      gpu.write(to, new Float32Array(batch * dim).fill(5));
      timeEmbedding(gpu.ctx, to, tt, batch, dim);
      const got = await gpu.read(to);
      expect(maxRelL2(got, want)).toBeLessThan(1e-6);
      expect(maxAbs(got, want)).toBeLessThan(3e-7);
    });
  }

  it('larger t (angle reduction) stays accurate', async () => {
    const gpu = await gpuBackend();
    const batch = 6, dim = 256;
    const t = Float32Array.from([2, 3.5, 10, 100, 999, 1000]);
    const want = new Float32Array(batch * dim);
    ref.timeEmbedding(want, t, batch, dim);
    const tt = gpu.tensor(batch), to = gpu.tensor(batch * dim);
    gpu.write(tt, t);
    timeEmbedding(gpu.ctx, to, tt, batch, dim);
    const got = await gpu.read(to);
    // The f32 angle t·ω itself carries up to ½ ulp(1000) ≈ 3e-5 of rounding.
    expect(maxAbs(got, want)).toBeLessThan(1e-4);
  });
});
