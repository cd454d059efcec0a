import { describe, expect, it } from 'vitest';
import { alignUp, VIEW_ALIGN } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/matmul.ts';
import { matmul, sumRows } from '../../src/engine/kernels/matmul.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

describe('matmul kernel vs the CPU reference', () => {
  const cases: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [64, 64, 16], [70, 33, 129], [3, 200, 37], [130, 65, 64],
    // The register variant reads operands as vec4 when it can (see kernels/matmul.ts):
    // partial 16×16 blocks, M = 1 or not a multiple of 4 (vec4 only without transA),
    // and K not a multiple of 4 with M and N multiples of 4 (masked last slice).
    [36, 20, 8], [100, 68, 44], [1, 12, 4], [18, 8, 12], [8, 8, 6], [65, 64, 96]];
  for (const variant of ['tiled', 'register'] as const)
  for (const [M, N, K] of cases) {
    for (const transA of [false, true]) for (const transB of [false, true]) {
      it(`${variant}: M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`, async () => {
        const gpu = await gpuBackend();
        const saved = gpu.ctx.tuning;
        gpu.ctx.tuning = { ...saved, matmul: variant };
        try {
          const a = randomArray(M * K, M * 31 + K, 1), b = randomArray(K * N, N * 17 + K, 1);
          const bias = randomArray(N, 5, 1), init = randomArray(M * N, 9, 1);
          const withBias = (M + N) % 2 === 0, accumulate = transA !== transB;
          const want = Float32Array.from(init);
          ref.matmul(want, a, b, { M, N, K, transA, transB, accumulate }, withBias ? bias : undefined);
          const ta = gpu.tensor(M * K), tb = gpu.tensor(K * N), tbias = gpu.tensor(N), tout = gpu.tensor(M * N);
          gpu.write(ta, a); gpu.write(tb, b); gpu.write(tbias, bias); gpu.write(tout, init);
          matmul(gpu.ctx, tout, ta, tb, { M, N, K, transA, transB, accumulate }, withBias ? tbias : undefined);
          expect(maxRelL2(await gpu.read(tout), want)).toBeLessThan(1e-5);
        } finally {
          gpu.ctx.tuning = saved;
        }
      });
    }
  }
});

describe('register matmul on views', () => {
  // Views start at VIEW_ALIGN-element offsets of a larger buffer; the vec4 kernel indexes from the binding's start.
  for (const [M, N, K, transA, transB] of [[48, 32, 20, false, true], [20, 36, 64, true, false], [17, 65, 33, false, false]] as const) {
    it(`M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`, async () => {
      const gpu = await gpuBackend();
      const saved = gpu.ctx.tuning;
      gpu.ctx.tuning = { ...saved, matmul: 'register' };
      try {
        const a = randomArray(M * K, 11, 1), b = randomArray(K * N, 12, 1), bias = randomArray(N, 13, 1);
        const want = new Float32Array(M * N);
        ref.matmul(want, a, b, { M, N, K, transA, transB }, bias);
        // Inputs share one buffer; the output (written) must be another.
        const offB = VIEW_ALIGN + alignUp(M * K), offBias = offB + alignUp(K * N);
        const inputs = gpu.tensor(offBias + N), outputs = gpu.tensor(VIEW_ALIGN + M * N);
        const ta = gpu.view(inputs, VIEW_ALIGN, M * K), tb = gpu.view(inputs, offB, K * N), tbias = gpu.view(inputs, offBias, N);
        const tout = gpu.view(outputs, VIEW_ALIGN, M * N);
        gpu.write(ta, a); gpu.write(tb, b); gpu.write(tbias, bias);
        matmul(gpu.ctx, tout, ta, tb, { M, N, K, transA, transB }, tbias);
        expect(maxRelL2(await gpu.read(tout), want)).toBeLessThan(1e-5);
      } finally {
        gpu.ctx.tuning = saved;
      }
    });
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
