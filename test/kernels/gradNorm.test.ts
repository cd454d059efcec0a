import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/gradNorm.ts';
import { globalNormSq, gradNormPartials, gradNormScratchSize } from '../../src/engine/kernels/gradNorm.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}

describe('globalNormSq kernel vs the CPU reference', () => {
  it('scratch size', () => {
    expect(gradNormScratchSize(0)).toBe(1);
    expect(gradNormScratchSize(1)).toBe(1);
    expect(gradNormScratchSize(1024)).toBe(1);
    expect(gradNormScratchSize(1025)).toBe(2);
    expect(gradNormScratchSize(20_000_000)).toBe(1024);
    for (const n of [1, 999, 70001, 5_000_000]) expect(gradNormPartials(n)).toBeLessThanOrEqual(gradNormScratchSize(n));
  });

  // 0 and 1: degenerate; 1000: one partial; 70001: 69 partials; 2.5M: 1024 partials, 3 loop trips.
  for (const n of [0, 1, 7, 1000, 70001, 2_500_003]) {
    it(`n=${n}`, async () => {
      const gpu = await gpuBackend();
      const size = n + 3;
      const x = randomArray(size, n + 17, 3);
      const want = new Float32Array(1);
      ref.globalNormSq(want, x, n);
      const tx = gpu.tensor(size), tout = gpu.tensor(1), tscratch = gpu.tensor(gradNormScratchSize(n));
      gpu.write(tx, x);
      gpu.write(tout, new Float32Array([-5]));
      globalNormSq(gpu.ctx, tout, tscratch, tx, n);
      const got = (await gpu.read(tout))[0];
      expect(relErr(got, want[0])).toBeLessThan(2e-6);
      // Deterministic: the same bits on a second run.
      globalNormSq(gpu.ctx, tout, tscratch, tx, n);
      expect((await gpu.read(tout))[0]).toBe(got);
      gpu.release(tx); gpu.release(tout); gpu.release(tscratch);
    });
  }

  it('a larger scratch, a view input and a compiled program', async () => {
    const gpu = await gpuBackend();
    const n = 70001;
    const big = gpu.tensor(n + 128), tout = gpu.tensor(1), tscratch = gpu.tensor(gradNormScratchSize(1e7));
    const view = gpu.view(big, 64, n);
    const prog = gpu.compile(() => globalNormSq(gpu.ctx, tout, tscratch, view, n));
    for (const seed of [1, 2, 3]) {
      const x = randomArray(n, seed, 0.01);
      gpu.write(big, x, 64);
      const want = new Float32Array(1);
      ref.globalNormSq(want, x, n);
      prog.run();
      expect(relErr((await gpu.read(tout))[0], want[0])).toBeLessThan(2e-6);
    }
  });

  it('NaN and Inf propagate to a non-finite result', async () => {
    const gpu = await gpuBackend();
    const n = 70001;
    const tx = gpu.tensor(n), tout = gpu.tensor(1), tscratch = gpu.tensor(gradNormScratchSize(n));
    for (const [bad, at] of [[NaN, 5], [Infinity, 40000], [-Infinity, n - 1], [1e30, 777]] as const) {
      const x = randomArray(n, 3, 1);
      x[at] = bad;
      gpu.write(tx, x);
      globalNormSq(gpu.ctx, tout, tscratch, tx, n);
      const got = (await gpu.read(tout))[0];
      expect(Number.isFinite(got)).toBe(false);
      const want = new Float32Array(1);
      ref.globalNormSq(want, x, n);
      expect(Number.isFinite(want[0])).toBe(false);
    }
  });

  it('rejects a scratch that is too small', async () => {
    const gpu = await gpuBackend();
    const tx = gpu.tensor(5000), tout = gpu.tensor(1), tscratch = gpu.tensor(2);
    expect(() => globalNormSq(gpu.ctx, tout, tscratch, tx, 5000)).toThrow(RangeError);
  });
});
