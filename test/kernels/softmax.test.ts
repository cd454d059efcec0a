import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/softmax.ts';
import { logSoftmax, softmax } from '../../src/engine/kernels/softmax.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

// [rows, cols, input scale]
const cases: [number, number, number][] = [
  [1, 1, 1], [3, 7, 2], [70, 37, 4], [5, 100, 8], [9, 1000, 5], [2, 50257, 10], [300, 5, 30], [4, 64, 80],
];

describe('softmax / logSoftmax kernels vs the CPU reference', () => {
  for (const [rows, cols, scale] of cases) {
    it(`${rows}×${cols} (|x| ≤ ${scale})`, async () => {
      const gpu = await gpuBackend();
      const x = randomArray(rows * cols, rows * 13 + cols, scale);
      if (rows > 1) x[cols + 1] = 500; // a dominant logit
      const tx = gpu.tensor(x.length), to = gpu.tensor(x.length);
      gpu.write(tx, x);

      const want = new Float32Array(x.length);
      ref.softmax(want, x, rows, cols);
      softmax(gpu.ctx, to, tx, rows, cols);
      const got = await gpu.read(to);
      expect(maxRelL2(got, want)).toBeLessThan(1e-5);
      // Each row sums to 1.
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += got[r * cols + j];
        expect(Math.abs(s - 1)).toBeLessThan(1e-4);
      }

      const wantLog = new Float32Array(x.length);
      ref.logSoftmax(wantLog, x, rows, cols);
      logSoftmax(gpu.ctx, to, tx, rows, cols);
      expect(maxRelL2(await gpu.read(to), wantLog)).toBeLessThan(1e-5);
    });
  }

  // > 65535 workgroups (spread over x and y by grid()); about a minute on
  // SwiftShader, so opt-in: FLM_SLOW_TESTS=1.
  it.skipIf(!process.env.FLM_SLOW_TESTS)('rows beyond one grid dimension (560000 rows × 3)', async () => {
    const gpu = await gpuBackend();
    const rows = 70000 * 8, cols = 3; // 8 rows per workgroup at T = 32 → 70000 workgroups
    const x = randomArray(rows * cols, 5, 3);
    const tx = gpu.tensor(x.length), to = gpu.tensor(x.length);
    gpu.write(tx, x);
    const want = new Float32Array(x.length);
    ref.logSoftmax(want, x, rows, cols);
    logSoftmax(gpu.ctx, to, tx, rows, cols);
    const got = await gpu.read(to);
    expect(maxRelL2(got, want)).toBeLessThan(1e-5);
    expect(Math.abs(got[got.length - 1] - want[want.length - 1])).toBeLessThan(1e-5);
  });
});
