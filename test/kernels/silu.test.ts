import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/silu.ts';
import { silu, siluBackward } from '../../src/engine/kernels/silu.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const EXTREMES = [0, -0, 1e-6, -1e-6, 0.5, -0.5, 15, -15, 20, -20, 40, -40, 88, -88, 100, -100, 1e4, -1e4, 3e38, -3e38];

function inputs(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, 8);
  x.set(EXTREMES.slice(0, Math.min(n, EXTREMES.length)));
  return x;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('silu kernel vs the CPU reference', () => {
  for (const n of [1, 20, 1000, 4099]) {
    it(`forward n=${n}`, async () => {
      const gpu = await gpuBackend();
      const x = inputs(n, n + 1);
      const want = new Float32Array(n);
      ref.silu(want, x, n);
      const tx = gpu.tensor(n), to = gpu.tensor(n);
      gpu.write(tx, x);
      silu(gpu.ctx, to, tx, n);
      const got = await gpu.read(to);
      expect(got.every(Number.isFinite)).toBe(true);
      expect(maxRelL2(got, want)).toBeLessThan(1e-6);
      // Elementwise: a few ulp of the value.
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
    });

    it(`backward n=${n}`, async () => {
      const gpu = await gpuBackend();
      const x = inputs(n, n + 2), dy = randomArray(n, n + 3, 2), init = randomArray(n, n + 4, 1);
      const tx = gpu.tensor(n), tdy = gpu.tensor(n), tdx = gpu.tensor(n);
      gpu.write(tx, x); gpu.write(tdy, dy);
      for (const accumulate of [false, true]) {
        const want = Float32Array.from(init);
        ref.siluBackward(want, x, dy, n, accumulate);
        gpu.write(tdx, init);
        siluBackward(gpu.ctx, tdx, tx, tdy, n, accumulate);
        const got = await gpu.read(tdx);
        expect(got.every(Number.isFinite)).toBe(true);
        expect(maxRelL2(got, want)).toBeLessThan(1e-6);
        expect(maxAbs(got, want)).toBeLessThan(2e-6);
      }
    });
  }

  it('large n (1-D grid indexing), leaves elements past n untouched', async () => {
    const gpu = await gpuBackend();
    const n = 300_003, size = n + 5;
    const x = randomArray(size, 11, 6);
    const want = new Float32Array(size).fill(-7);
    ref.silu(want, x, n);
    const tx = gpu.tensor(size), to = gpu.tensor(size);
    gpu.write(tx, x); gpu.write(to, new Float32Array(size).fill(-7));
    silu(gpu.ctx, to, tx, n);
    const got = await gpu.read(to);
    expect(maxRelL2(got, want)).toBeLessThan(1e-6);
    expect(Array.from(got.subarray(n))).toEqual([-7, -7, -7, -7, -7]);
  });
});
