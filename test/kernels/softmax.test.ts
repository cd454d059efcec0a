import { describe, expect, it, vi } from 'vitest';
import * as ref from '../../src/engine/reference/softmax.ts';
import { setMaxWorkgroupsPerDim, WORKGROUP_SIZE } from '../../src/engine/kernels/kernel.ts';
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

  // More workgroups than one grid dimension holds (65535) are spread over x
  // and y, and the kernel flattens them back (flat_row). Real inputs need
  // ~10^5 workgroups for that, so the test lowers the per-dimension limit the
  // wrappers use to 4: a few thousand rows then take the same 2-D path, on
  // both row tunings (one thread per row, and lanes per row).
  for (const rowsMode of ['thread', 'lanes'] as const) {
    it(`rows spread over a 2-D grid (${rowsMode} per row)`, async () => {
      const gpu = await gpuBackend();
      const saved = gpu.ctx.tuning;
      const spy = vi.spyOn(gpu.ctx, 'dispatch');
      gpu.ctx.tuning = { ...saved, rows: rowsMode };
      setMaxWorkgroupsPerDim(gpu.ctx, 4);
      try {
        const cols = 3, rowsPerGroup = rowsMode === 'thread' ? WORKGROUP_SIZE : WORKGROUP_SIZE / 32;
        const rows = rowsPerGroup * 9 + 5; // 10 workgroups → a 4 × 3 grid, two of them past the end
        const x = randomArray(rows * cols, 5, 3);
        const tx = gpu.tensor(x.length), to = gpu.tensor(x.length);
        gpu.write(tx, x);
        const want = new Float32Array(x.length);
        ref.logSoftmax(want, x, rows, cols);
        logSoftmax(gpu.ctx, to, tx, rows, cols);
        const [gx, gy, gz] = spy.mock.calls.at(-1)![4];
        expect(gx).toBeLessThanOrEqual(4);
        expect(gy).toBeGreaterThan(1);
        expect(gz).toBe(1);
        expect(gx * gy).toBeGreaterThanOrEqual(Math.ceil(rows / rowsPerGroup));
        const got = await gpu.read(to);
        expect(maxRelL2(got, want)).toBeLessThan(1e-5);
        // Every row, the last one included, was written (rows of workgroups with y > 0 too).
        for (let r = 0; r < rows; r++) expect(Math.abs(got[r * cols] - want[r * cols])).toBeLessThan(1e-5);
      } finally {
        setMaxWorkgroupsPerDim(gpu.ctx, null);
        gpu.ctx.tuning = saved;
        spy.mockRestore();
      }
    });
  }
});
