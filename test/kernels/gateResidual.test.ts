import { describe, expect, it } from 'vitest';
import type { GateParams } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/gateResidual.ts';
import { gateResidual, gateResidualBackward } from '../../src/engine/kernels/gateResidual.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

// [rows, D, rowsPerItem, modStride/D, gateOffset/D]
const cases: [number, number, number, number, number][] = [
  [5, 7, 2, 6, 2],
  [13, 37, 5, 6, 5],
  [9, 64, 9, 6, 0],
  [33, 100, 4, 2, 1],
  [11, 768, 3, 6, 5],
  [300, 7, 100, 6, 2],
  [70, 3, 1, 2, 1],
];

describe('gateResidual kernels vs the CPU reference', () => {
  for (const [rows, dim, rowsPerItem, s, g] of cases) {
    const p: GateParams = { rows, dim, rowsPerItem, modStride: s * dim, gateOffset: g * dim };
    const items = Math.ceil(rows / rowsPerItem);
    it(`rows=${rows} D=${dim} rowsPerItem=${rowsPerItem} stride=${p.modStride} gate=${p.gateOffset}`, async () => {
      const gpu = await gpuBackend();
      const h = randomArray(rows * dim, rows + dim, 1), y = randomArray(rows * dim, 3 * rows + dim, 1);
      const mod = randomArray(items * p.modStride, items + 7 * dim, 1);
      const dh = randomArray(rows * dim, 5 * rows + dim, 1), dmod0 = randomArray(items * p.modStride, 17 + dim, 1);
      const t = (a: Float32Array) => { const tt = gpu.tensor(a.length); gpu.write(tt, a); return tt; };

      const wantH = Float32Array.from(h);
      ref.gateResidual(wantH, y, mod, p);
      const th = t(h), ty = t(y), tmod = t(mod);
      gateResidual(gpu.ctx, th, ty, tmod, p);
      expect(maxRelL2(await gpu.read(th), wantH)).toBeLessThan(1e-6);

      const wantDy = new Float32Array(rows * dim), wantDmod = Float32Array.from(dmod0);
      ref.gateResidualBackward({ dy: wantDy, dmod: wantDmod, dh, y, mod }, p);
      const tdy = t(randomArray(rows * dim, 1, 3)), tdmod = t(dmod0);
      gateResidualBackward(gpu.ctx, { dy: tdy, dmod: tdmod, dh: t(dh), y: ty, mod: tmod }, p);
      expect(maxRelL2(await gpu.read(tdy), wantDy)).toBeLessThan(1e-6);
      // Only the gate columns change.
      expect(maxRelL2(await gpu.read(tdmod), wantDmod)).toBeLessThan(1e-5);
    });
  }
});
