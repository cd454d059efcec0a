import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/elementwise.ts';
import { axpby, fill } from '../../src/engine/kernels/elementwise.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

describe('axpby kernel vs the CPU reference', () => {
  const cases: [number, number, number][] = [[1, 2, 3], [257, 0.5, -1.25], [4099, -3, 0], [1000, 0, 2], [300_001, 1.5, 0.25]];
  for (const [n, a, b] of cases) {
    it(`n=${n} a=${a} b=${b}`, async () => {
      const gpu = await gpuBackend();
      const size = n + 3;
      const x = randomArray(size, n, 2), y = randomArray(size, n + 1, 3);
      const want = new Float32Array(size).fill(9);
      ref.axpby(want, a, x, b, y, n);
      const tx = gpu.tensor(size), ty = gpu.tensor(size), to = gpu.tensor(size);
      gpu.write(tx, x); gpu.write(ty, y); gpu.write(to, new Float32Array(size).fill(9));
      axpby(gpu.ctx, to, a, tx, b, ty, n);
      const got = await gpu.read(to);
      expect(maxRelL2(got, want)).toBeLessThan(1e-6);
      expect(Array.from(got.subarray(n))).toEqual([9, 9, 9]);
    });
  }

  it('b = 0 ignores y (NaN there does not leak), y may be the same tensor as x', async () => {
    const gpu = await gpuBackend();
    const n = 600;
    const x = randomArray(n, 4, 1);
    const tx = gpu.tensor(n), ty = gpu.tensor(n), to = gpu.tensor(n);
    gpu.write(tx, x); gpu.write(ty, new Float32Array(n).fill(NaN));
    const want = new Float32Array(n);
    ref.axpby(want, -2, x, 0, new Float32Array(n).fill(NaN), n);
    axpby(gpu.ctx, to, -2, tx, 0, ty, n);
    expect(Array.from(await gpu.read(to))).toEqual(Array.from(want));
    axpby(gpu.ctx, to, 3, tx, 0, tx, n);
    expect(Array.from(await gpu.read(to))).toEqual(Array.from(x, (v) => Math.fround(3 * v)));
    // x and y aliased with b ≠ 0: out = (a + b)·x.
    axpby(gpu.ctx, to, 0.5, tx, 0.25, tx, n);
    expect(maxRelL2(await gpu.read(to), x.map((v) => 0.75 * v))).toBeLessThan(1e-7);
  });

  it('inside compile(): recorded once, replayed', async () => {
    const gpu = await gpuBackend();
    const n = 1000;
    const x = randomArray(n, 8, 1), y = randomArray(n, 9, 1);
    const tx = gpu.tensor(n), ty = gpu.tensor(n), to = gpu.tensor(n);
    gpu.write(tx, x); gpu.write(ty, y);
    const program = gpu.compile(() => {
      fill(gpu.ctx, ty, 0.125, 10);
      axpby(gpu.ctx, to, 2, tx, -1, ty, n);
    });
    program.run();
    const want = new Float32Array(n);
    const y2 = Float32Array.from(y).fill(0.125, 0, 10);
    ref.axpby(want, 2, x, -1, y2, n);
    expect(maxRelL2(await gpu.read(to), want)).toBeLessThan(1e-7);
    gpu.write(tx, y);
    program.run();
    ref.axpby(want, 2, y, -1, y2, n);
    expect(maxRelL2(await gpu.read(to), want)).toBeLessThan(1e-7);
  });
});

describe('fill kernel', () => {
  for (const [n, value] of [[1, 3.5], [300, -0.25], [300_007, 1e-3], [64, 0]] as [number, number][]) {
    it(`n=${n} value=${value}`, async () => {
      const gpu = await gpuBackend();
      const size = n + 2;
      const to = gpu.tensor(size);
      gpu.write(to, new Float32Array(size).fill(-1));
      fill(gpu.ctx, to, value, n);
      const got = await gpu.read(to);
      const want = new Float32Array(size).fill(-1);
      ref.fill(want, value, n);
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  }

  it('fills a view at an aligned offset only', async () => {
    const gpu = await gpuBackend();
    const t = gpu.tensor(256);
    gpu.write(t, new Float32Array(256).fill(2));
    fill(gpu.ctx, gpu.view(t, 64, 64), 7, 64);
    const got = await gpu.read(t);
    const want = new Float32Array(256).fill(2).fill(7, 64, 128);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
