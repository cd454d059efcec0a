import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/matmul.ts';
import { matmul, sumRows } from '../../src/engine/kernels/matmul.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

describe('matmul kernel vs the CPU reference', () => {
  const cases: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [64, 64, 16], [70, 33, 129], [3, 200, 37], [130, 65, 64]];
  for (const variant of ['tiled', 'register'] as const)
  for (const [M, N, K] of cases) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      it(`${variant}: M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`, async () => {
        const gpu = await gpuBackend();
        gpu.ctx.tuning = { ...gpu.ctx.tuning, matmul: variant };
        const a = randomArray(M * K, M * 31 + K, 1), b = randomArray(K * N, N * 17 + K, 1);
        const bias = randomArray(N, 5, 1), init = randomArray(M * N, 9, 1);
        const withBias = (M + N) % 2 === 0, accumulate = transA !== transB;
        const want = Float32Array.from(init);
        ref.matmul(want, a, b, { M, N, K, transA, transB, accumulate }, withBias ? bias : undefined);
        const ta = gpu.tensor(M * K), tb = gpu.tensor(K * N), tbias = gpu.tensor(N), tout = gpu.tensor(M * N);
        gpu.write(ta, a); gpu.write(tb, b); gpu.write(tbias, bias); gpu.write(tout, init);
        matmul(gpu.ctx, tout, ta, tb, { M, N, K, transA, transB, accumulate }, withBias ? tbias : undefined);
        expect(maxRelL2(await gpu.read(tout), want)).toBeLessThan(1e-5);
      });
    }
  }
});

describe('sumRows kernel', () => {
  for (const [rows, cols] of [[1, 1], [3, 37], [129, 65], [1000, 7]]) {
    it(`${rows}×${cols}`, async () => {
      const gpu = await gpuBackend();
      const x = randomArray(rows * cols, rows + cols);
      const init = randomArray(cols, 3);
      for (const accumulate of [false, true]) {
        const want = Float32Array.from(init);
        ref.sumRows(want, x, rows, cols, accumulate);
        const tx = gpu.tensor(rows * cols), to = gpu.tensor(cols);
        gpu.write(tx, x); gpu.write(to, init);
        sumRows(gpu.ctx, to, tx, rows, cols, accumulate);
        expect(maxRelL2(await gpu.read(to), want)).toBeLessThan(1e-5);
      }
    });
  }
});
