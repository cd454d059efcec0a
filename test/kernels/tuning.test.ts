/**
 * The row-wise kernels run with one thread per row on CPU-emulated adapters
 * (what the other kernel tests exercise here) and with 32–256 lanes per row
 * on real GPUs. This file forces the real-GPU variant so both stay correct.
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/index.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

describe('row kernels with lanes per row (the real-GPU variant)', () => {
  it('lnModulate forward and backward', async () => {
    const gpu = await gpuBackend();
    const saved = gpu.ctx.tuning;
    gpu.ctx.tuning = { ...saved, rows: 'lanes' };
    try {
      for (const [rows, D, L] of [[10, 37, 5], [130, 100, 64], [6, 768, 3]]) {
        const items = Math.ceil(rows / L);
        const p = { rows, dim: D, rowsPerItem: L, modStride: 6 * D, shiftOffset: 3 * D, scaleOffset: 4 * D, eps: 1e-5 };
        const x = randomArray(rows * D, 1, 2), w = randomArray(D, 2), mod = randomArray(items * 6 * D, 3), dout = randomArray(rows * D, 4);
        const T = (a: Float32Array) => { const t = gpu.tensor(a.length); gpu.write(t, a); return t; };
        const out = gpu.tensor(rows * D), mean = gpu.tensor(rows), rstd = gpu.tensor(rows);
        gpu.ops.lnModulate({ out, mean, rstd, x: T(x), w: T(w), mod: T(mod) }, p);
        const rOut = new Float32Array(rows * D), rMean = new Float32Array(rows), rRstd = new Float32Array(rows);
        ref.lnModulate({ out: rOut, mean: rMean, rstd: rRstd, x, w, mod }, p);
        expect(maxRelL2(await gpu.read(out), rOut)).toBeLessThan(1e-5);
        const dx0 = randomArray(rows * D, 5);
        const dx = T(dx0), dw = gpu.tensor(D), dmod = gpu.tensor(items * 6 * D);
        gpu.ops.lnModulateBackward({ dx, dw, dmod, dout: T(dout), x: T(x), mean: T(rMean), rstd: T(rRstd), w: T(w), mod: T(mod) }, p);
        const rdx = Float32Array.from(dx0), rdw = new Float32Array(D), rdmod = new Float32Array(items * 6 * D);
        ref.lnModulateBackward({ dx: rdx, dw: rdw, dmod: rdmod, dout, x, mean: rMean, rstd: rRstd, w, mod }, p);
        expect(maxRelL2(await gpu.read(dx), rdx)).toBeLessThan(1e-5);
        expect(maxRelL2(await gpu.read(dw), rdw)).toBeLessThan(1e-5);
        expect(maxRelL2(await gpu.read(dmod), rdmod)).toBeLessThan(1e-5);
      }
    } finally {
      gpu.ctx.tuning = saved;
    }
  });

  it('softmax, log-softmax and cross-entropy', async () => {
    const gpu = await gpuBackend();
    const saved = gpu.ctx.tuning;
    gpu.ctx.tuning = { ...saved, rows: 'lanes' };
    try {
      for (const [rows, V] of [[9, 37], [5, 1000]]) {
        const x = randomArray(rows * V, V, 4);
        const tg = new Uint32Array(rows).map((_, i) => (i * 13) % V);
        const tx = gpu.tensor(rows * V); gpu.write(tx, x);
        const tt = gpu.tensor(rows, 'targets', 'u32'); gpu.write(tt, tg);
        const out = gpu.tensor(rows * V), want = new Float32Array(rows * V);
        gpu.ops.softmax(out, tx, rows, V); ref.softmax(want, x, rows, V);
        expect(maxRelL2(await gpu.read(out), want)).toBeLessThan(1e-5);
        gpu.ops.logSoftmax(out, tx, rows, V); ref.logSoftmax(want, x, rows, V);
        expect(maxRelL2(await gpu.read(out), want)).toBeLessThan(1e-5);
        const ce = gpu.tensor(rows), wce = new Float32Array(rows);
        gpu.ops.crossEntropy(ce, tx, tt, rows, V); ref.crossEntropy(wce, x, tg, rows, V);
        expect(maxRelL2(await gpu.read(ce), wce)).toBeLessThan(1e-5);
        const dce = randomArray(rows, 7), tdce = gpu.tensor(rows); gpu.write(tdce, dce);
        gpu.ops.crossEntropyBackward(out, tx, tt, tdce, rows, V); ref.crossEntropyBackward(want, x, tg, dce, rows, V);
        expect(maxRelL2(await gpu.read(out), want)).toBeLessThan(1e-5);
      }
    } finally {
      gpu.ctx.tuning = saved;
    }
  });
});
