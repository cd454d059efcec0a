import { describe, expect, it } from 'vitest';
import { dropout } from '../../src/engine/reference/dropout.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

describe('dropout kernel vs the reference', () => {
  for (const [n, p] of [[1, 0.5], [7, 0.1], [1001, 0.1], [70001, 0.3], [64, 0]] as const) {
    it(`n=${n} p=${p}: the same mask bit for bit, scaled by 1/(1−p)`, async () => {
      const gpu = await gpuBackend();
      const x = randomArray(n, n, 1).map((v) => v + 2); // never 0, so a dropped element is recognisable
      const want = new Float32Array(n);
      dropout(want, x, n, p, 1234, 56);
      const tx = gpu.tensor(n); gpu.write(tx, x);
      const out = gpu.tensor(n);
      gpu.ops.dropout(out, tx, n, p, 1234, 56);
      const got = await gpu.read(out);
      for (let i = 0; i < n; i++) expect(got[i] === 0).toBe(want[i] === 0);
      for (let i = 0; i < n; i++) if (want[i] !== 0) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i]));
      if (n > 1000) {
        const dropped = want.filter((v) => v === 0).length / n;
        expect(Math.abs(dropped - p)).toBeLessThan(0.02);
      }
      if (p === 0) expect(got).toEqual(x);
    });
  }
  it('another counter gives another mask', () => {
    const x = new Float32Array(1000).fill(1), a = new Float32Array(1000), b = new Float32Array(1000);
    dropout(a, x, 1000, 0.5, 1, 1);
    dropout(b, x, 1000, 0.5, 1, 2);
    expect(a).not.toEqual(b);
  });
});
