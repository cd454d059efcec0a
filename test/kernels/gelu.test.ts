import { describe, expect, it } from 'vitest';
import type { GeluApprox } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/gelu.ts';
import { gelu, geluBackward } from '../../src/engine/kernels/gelu.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const EXTREMES = [0, -0, 1e-6, -1e-6, 0.5, -0.5, 3, -3, 5.5, -5.5, 9, -9, 13, -13, 20, -20, 50, -50, 1e4, -1e4, 3e38, -3e38];

function inputs(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, 6);
  x.set(EXTREMES.slice(0, Math.min(n, EXTREMES.length)));
  return x;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('gelu kernel vs the CPU reference', () => {
  for (const approx of ['tanh', 'erf'] as GeluApprox[]) {
    for (const n of [1, 30, 4099]) {
      it(`${approx} forward n=${n}`, async () => {
        const gpu = await gpuBackend();
        const x = inputs(n, n + 7);
        const want = new Float32Array(n);
        ref.gelu(want, x, n, approx);
        const tx = gpu.tensor(n), to = gpu.tensor(n);
        gpu.write(tx, x);
        gelu(gpu.ctx, to, tx, n, approx);
        const got = await gpu.read(to);
        expect(got.every(Number.isFinite)).toBe(true);
        expect(maxRelL2(got, want)).toBeLessThan(1e-6);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
      });

      it(`${approx} backward n=${n}`, async () => {
        const gpu = await gpuBackend();
        const x = inputs(n, n + 8), dy = randomArray(n, n + 9, 2), init = randomArray(n, n + 10, 1);
        const tx = gpu.tensor(n), tdy = gpu.tensor(n), tdx = gpu.tensor(n);
        gpu.write(tx, x); gpu.write(tdy, dy);
        for (const accumulate of [false, true]) {
          const want = Float32Array.from(init);
          ref.geluBackward(want, x, dy, n, approx, accumulate);
          gpu.write(tdx, init);
          geluBackward(gpu.ctx, tdx, tx, tdy, n, approx, accumulate);
          const got = await gpu.read(tdx);
          expect(got.every(Number.isFinite)).toBe(true);
          expect(maxRelL2(got, want)).toBeLessThan(1e-6);
          expect(maxAbs(got, want)).toBeLessThan(2e-6);
        }
      });
    }
  }

  it('erf form is the exact GELU (x·Φ(x)) to ~1e-7', async () => {
    const gpu = await gpuBackend();
    // Φ from a high-accuracy series/continued fraction in f64 as an independent check of the erf fit.
    const phi = (x: number): number => {
      const z = Math.abs(x) / Math.SQRT2;
      let erfc: number;
      if (z < 3) { // Taylor series of erf
        let term = z, sum = z;
        for (let k = 1; k < 100; k++) { term *= -z * z / k; sum += term / (2 * k + 1); }
        erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
      } else { // continued fraction
        let f = 0;
        for (let k = 60; k >= 1; k--) f = (k / 2) / (z + f);
        erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
      }
      return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    };
    const n = 2001;
    const x = new Float32Array(n).map((_, i) => -10 + (20 * i) / (n - 1));
    const tx = gpu.tensor(n), to = gpu.tensor(n);
    gpu.write(tx, x);
    gelu(gpu.ctx, to, tx, n, 'erf');
    const got = await gpu.read(to);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - x[i] * phi(x[i])) / Math.max(1, Math.abs(x[i])));
    expect(worst).toBeLessThan(5e-7);
  });
});
