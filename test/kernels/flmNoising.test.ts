import { describe, expect, it } from 'vitest';
import { flmNoising } from '../../src/engine/reference/flmNoising.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

describe('flmNoising kernel vs the reference', () => {
  for (const [B, L, V] of [[1, 1, 2], [3, 7, 37], [2, 33, 300]]) {
    it(`B=${B} L=${L} V=${V}`, async () => {
      const gpu = await gpuBackend();
      const eps = randomArray(B * L * V, V, 2);
      const targets = new Uint32Array(B * L).map((_, i) => (i * 5) % V);
      const gamma = Float32Array.from({ length: B }, (_, b) => (b + 0.3) / (B + 0.5));
      const want = new Float32Array(B * L * V);
      flmNoising(want, eps, targets, gamma, B, L, V);
      const te = gpu.tensor(eps.length); gpu.write(te, eps);
      const tt = gpu.tensor(B * L, 'targets', 'u32'); gpu.write(tt, targets);
      const tg = gpu.tensor(B); gpu.write(tg, gamma);
      const x = gpu.tensor(eps.length);
      gpu.ops.flmNoising(x, te, tt, tg, B, L, V);
      expect(maxRelL2(await gpu.read(x), want)).toBeLessThan(1e-6);
      // the clean token carries γ above the noise: at γ = 1 the row is exactly one-hot
      gpu.write(tg, new Float32Array(B).fill(1));
      gpu.ops.flmNoising(x, te, tt, tg, B, L, V);
      const hot = await gpu.read(x);
      for (let r = 0; r < B * L; r++) for (let v = 0; v < V; v++) expect(hot[r * V + v]).toBe(v === targets[r] ? 1 : 0);
    });
  }
});
