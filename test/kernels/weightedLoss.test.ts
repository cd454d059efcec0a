import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/weightedLoss.ts';
import { weightedLoss } from '../../src/engine/kernels/weightedLoss.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

const cases: [number, number][] = [[1, 1], [2, 7], [3, 37], [4, 300], [16, 128], [5, 20011], [700, 3]];

describe('weightedLoss kernel vs the CPU reference', () => {
  for (const [B, L] of cases) {
    for (const mode of ['none', 'w', 'w+dw'] as const) {
      it(`B=${B} L=${L} ${mode}`, async () => {
        const gpu = await gpuBackend();
        const n = B * L;
        const ce = randomArray(n, B * 31 + L, 3).map((v) => v + 4);
        const w = mode === 'none' ? null : randomArray(B, B + L, 1.5);
        const wantPer = new Float32Array(n), wantLoss = new Float32Array(1), wantDce = new Float32Array(n);
        const wantDw = mode === 'w+dw' ? new Float32Array(B) : null;
        ref.weightedLoss({ perToken: wantPer, loss: wantLoss, dce: wantDce, dw: wantDw, ce, w }, B, L);

        const t = (a: Float32Array) => { const tt = gpu.tensor(a.length); gpu.write(tt, a); return tt; };
        const tce = t(ce), tw = w ? t(w) : null;
        const tper = gpu.tensor(n), tloss = gpu.tensor(1), tdce = gpu.tensor(n), tdw = wantDw ? gpu.tensor(B) : null;
        weightedLoss(gpu.ctx, { perToken: tper, loss: tloss, dce: tdce, dw: tdw, ce: tce, w: tw }, B, L);
        // Twice: the result must not depend on the previous contents (and is deterministic).
        const loss1 = (await gpu.read(tloss))[0];
        weightedLoss(gpu.ctx, { perToken: tper, loss: tloss, dce: tdce, dw: tdw, ce: tce, w: tw }, B, L);
        const loss2 = (await gpu.read(tloss))[0];
        expect(loss2).toBe(loss1);
        expect(Math.abs(loss1 - wantLoss[0]) / Math.abs(wantLoss[0])).toBeLessThan(1e-5);
        expect(maxRelL2(await gpu.read(tper), wantPer)).toBeLessThan(1e-5);
        expect(maxRelL2(await gpu.read(tdce), wantDce)).toBeLessThan(1e-5);
        if (tdw && wantDw) expect(maxRelL2(await gpu.read(tdw), wantDw)).toBeLessThan(1e-5);
      });
    }
  }
});
