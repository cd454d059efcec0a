import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/ema.ts';
import { ema } from '../../src/engine/kernels/ema.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ema kernel vs the CPU reference', () => {
  it('reference formula', () => {
    const e = new Float32Array([1, -2]);
    ref.ema(e, new Float32Array([3, 4]), 2, 0.75);
    expect(Array.from(e)).toEqual([0.75 + 0.75, -1.5 + 1]);
  });

  for (const n of [1, 7, 1000, 70001]) {
    it(`n=${n}: a compiled program over several steps with a changing decay`, async () => {
      const gpu = await gpuBackend();
      const size = n + 3;
      const want = randomArray(size, n, 1);
      const te = gpu.tensor(size), tp = gpu.tensor(size);
      gpu.write(te, want);
      let decay = 0.9;
      const prog = gpu.compile(() => ema(gpu.ctx, te, tp, n, () => decay));
      for (let step = 0; step < 5; step++) {
        decay = [0.9, 0.99, 0.5, 0.999, 0][step];
        const p = randomArray(size, 100 * n + step, 2);
        gpu.write(tp, p);
        ref.ema(want, p, n, decay);
        prog.run();
        const got = await gpu.read(te);
        expect(maxRelL2(got, want)).toBeLessThan(1e-6);
        expect(maxAbs(got, want)).toBeLessThan(1e-6);
      }
      // Elements past n are untouched.
      const got = await gpu.read(te);
      expect(Array.from(got.subarray(n))).toEqual(Array.from(want.subarray(n)));
    });
  }

  it('a direct (uncompiled) call with a number', async () => {
    const gpu = await gpuBackend();
    const n = 4099;
    const e = randomArray(n, 1, 1), p = randomArray(n, 2, 1);
    const te = gpu.tensor(n), tp = gpu.tensor(n);
    gpu.write(te, e); gpu.write(tp, p);
    ema(gpu.ctx, te, tp, n, 0.9999);
    ref.ema(e, p, n, 0.9999);
    expect(maxAbs(await gpu.read(te), e)).toBeLessThan(1e-6);
  });
});
