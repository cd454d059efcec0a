import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/crossEntropy.ts';
import { crossEntropy, crossEntropyBackward } from '../../src/engine/kernels/crossEntropy.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

// [rows, cols, logit scale]
const cases: [number, number, number][] = [[1, 2, 1], [3, 37, 3], [70, 37, 6], [5, 1000, 4], [3, 50257, 8], [300, 9, 20]];

describe('crossEntropy kernels vs the CPU reference', () => {
  for (const [rows, cols, scale] of cases) {
    it(`${rows}×${cols}`, async () => {
      const gpu = await gpuBackend();
      const logits = randomArray(rows * cols, rows * 3 + cols, scale);
      const targets = new Uint32Array(rows);
      for (let r = 0; r < rows; r++) targets[r] = (r * 7919 + 3) % cols;
      targets[0] = cols - 1;
      if (rows > 1) targets[1] = 0;
      const dce = randomArray(rows, cols, 1);

      const tl = gpu.tensor(logits.length), tt = gpu.tensor(rows, 'targets', 'u32'), td = gpu.tensor(rows);
      const tce = gpu.tensor(rows), tdl = gpu.tensor(logits.length);
      gpu.write(tl, logits); gpu.write(tt, targets); gpu.write(td, dce);

      const wantCe = new Float32Array(rows);
      ref.crossEntropy(wantCe, logits, targets, rows, cols);
      crossEntropy(gpu.ctx, tce, tl, tt, rows, cols);
      expect(maxRelL2(await gpu.read(tce), wantCe)).toBeLessThan(1e-5);

      const wantDl = new Float32Array(logits.length);
      ref.crossEntropyBackward(wantDl, logits, targets, dce, rows, cols);
      crossEntropyBackward(gpu.ctx, tdl, tl, tt, td, rows, cols);
      expect(maxRelL2(await gpu.read(tdl), wantDl)).toBeLessThan(1e-5);
    });
  }

  it('an out-of-range target gives NaN, not a neighbour row', async () => {
    const gpu = await gpuBackend();
    const rows = 2, cols = 5;
    const tl = gpu.tensor(rows * cols), tt = gpu.tensor(rows, 'targets', 'u32'), tce = gpu.tensor(rows);
    gpu.write(tl, randomArray(rows * cols, 1, 1)); gpu.write(tt, new Uint32Array([7, 2]));
    crossEntropy(gpu.ctx, tce, tl, tt, rows, cols);
    const ce = await gpu.read(tce);
    expect(Number.isNaN(ce[0])).toBe(true);
    expect(Number.isFinite(ce[1])).toBe(true);
  });
});
