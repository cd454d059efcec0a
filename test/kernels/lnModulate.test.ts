import { describe, expect, it } from 'vitest';
import type { LnModulateParams } from '../../src/engine/backend.ts';
import * as ref from '../../src/engine/reference/lnModulate.ts';
import { lnModulate, lnModulateBackward } from '../../src/engine/kernels/lnModulate.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

interface Case { rows: number; dim: number; rowsPerItem: number; stride: number; shift: number; scale: number; offsetMean?: number }

// [rows, D, rowsPerItem, modStride/D, shiftOffset/D, scaleOffset/D]
const raw: [number, number, number, number, number, number][] = [
  [5, 7, 2, 6, 0, 1],
  [13, 37, 5, 6, 3, 4],
  [9, 64, 9, 2, 0, 1],
  [33, 100, 4, 6, 0, 1],
  [11, 768, 3, 6, 3, 4],
  [300, 7, 100, 2, 0, 1],
  [4, 1030, 2, 2, 0, 1],
];
const cases: Case[] = raw.map(([rows, dim, rowsPerItem, s, sh, sc]) =>
  ({ rows, dim, rowsPerItem, stride: s * dim, shift: sh * dim, scale: sc * dim }));
cases.push({ rows: 6, dim: 100, rowsPerItem: 3, stride: 600, shift: 0, scale: 100, offsetMean: 1000 });
cases.push({ rows: 6, dim: 37, rowsPerItem: 2, stride: 74, shift: 0, scale: 37, offsetMean: -3000 });

function params(c: Case): LnModulateParams {
  return {
    rows: c.rows, dim: c.dim, rowsPerItem: c.rowsPerItem, modStride: c.stride,
    shiftOffset: c.shift, scaleOffset: c.scale, eps: 1e-6,
  };
}

function inputs(c: Case) {
  const { rows, dim } = c;
  const items = Math.ceil(rows / c.rowsPerItem);
  const x = randomArray(rows * dim, rows * 7 + dim, 2);
  if (c.offsetMean) for (let i = 0; i < x.length; i++) x[i] += c.offsetMean;
  return {
    items, x,
    w: randomArray(dim, dim + 3, 1).map((v) => 1 + v * 0.5),
    mod: randomArray(items * c.stride, items + dim, 0.5),
    dout: randomArray(rows * dim, rows + 5 * dim, 1),
    dx0: randomArray(rows * dim, 11 + dim, 1),
    dmod0: randomArray(items * c.stride, 13 + dim, 1),
  };
}

const label = (c: Case) =>
  `rows=${c.rows} D=${c.dim} rowsPerItem=${c.rowsPerItem} stride=${c.stride} shift=${c.shift} scale=${c.scale}` +
  (c.offsetMean ? ` mean≈${c.offsetMean}` : '');

describe('lnModulate kernel vs the CPU reference', () => {
  for (const c of cases) {
    it(label(c), async () => {
      const gpu = await gpuBackend();
      const p = params(c);
      const { x, w, mod } = inputs(c);
      const want = new Float32Array(c.rows * c.dim), wantMean = new Float32Array(c.rows), wantRstd = new Float32Array(c.rows);
      ref.lnModulate({ out: want, mean: wantMean, rstd: wantRstd, x, w, mod }, p);

      const tx = gpu.tensor(x.length), tw = gpu.tensor(w.length), tmod = gpu.tensor(mod.length);
      const tout = gpu.tensor(want.length), tmean = gpu.tensor(c.rows), trstd = gpu.tensor(c.rows);
      gpu.write(tx, x); gpu.write(tw, w); gpu.write(tmod, mod);
      lnModulate(gpu.ctx, { out: tout, mean: tmean, rstd: trstd, x: tx, w: tw, mod: tmod }, p);
      // The offsetMean cases (|mean|/σ in the thousands) would be off by
      // orders of magnitude with a sum/sum-of-squares variance.
      expect(maxRelL2(await gpu.read(tout), want)).toBeLessThan(1e-5);
      // The mean's error measured in standard deviations (what the centring sees).
      const gotMean = await gpu.read(tmean);
      let worst = 0;
      for (let r = 0; r < c.rows; r++) worst = Math.max(worst, Math.abs(gotMean[r] - wantMean[r]) * wantRstd[r]);
      expect(worst).toBeLessThan(1e-5);
      expect(maxRelL2(gotMean, wantMean)).toBeLessThan(1e-4);
      expect(maxRelL2(await gpu.read(trstd), wantRstd)).toBeLessThan(1e-5);
    });
  }
});

describe('lnModulateBackward kernel vs the CPU reference', () => {
  for (const c of cases) {
    it(label(c), async () => {
      const gpu = await gpuBackend();
      const p = params(c);
      const { x, w, mod, dout, dx0, dmod0 } = inputs(c);
      const mean = new Float32Array(c.rows), rstd = new Float32Array(c.rows);
      ref.lnModulate({ out: new Float32Array(c.rows * c.dim), mean, rstd, x, w, mod }, p);
      const wantDx = Float32Array.from(dx0), wantDw = new Float32Array(c.dim), wantDmod = Float32Array.from(dmod0);
      ref.lnModulateBackward({ dx: wantDx, dw: wantDw, dmod: wantDmod, dout, x, mean, rstd, w, mod }, p);

      const t = (a: Float32Array) => { const tt = gpu.tensor(a.length); gpu.write(tt, a); return tt; };
      const tdx = t(dx0), tdw = t(randomArray(c.dim, 99, 5)), tdmod = t(dmod0);
      lnModulateBackward(gpu.ctx, { dx: tdx, dw: tdw, dmod: tdmod, dout: t(dout), x: t(x), mean: t(mean), rstd: t(rstd), w: t(w), mod: t(mod) }, p);
      const gotDx = await gpu.read(tdx);
      // dx accumulates onto its previous content.
      const delta = gotDx.map((v, i) => v - dx0[i]), wantDelta = wantDx.map((v, i) => v - dx0[i]);
      expect(maxRelL2(delta, wantDelta)).toBeLessThan(1e-4);
      expect(maxRelL2(gotDx, wantDx)).toBeLessThan(1e-5);
      expect(maxRelL2(await gpu.read(tdw), wantDw)).toBeLessThan(1e-5);
      // Only the shift and scale columns change; the rest of dmod is untouched.
      expect(maxRelL2(await gpu.read(tdmod), wantDmod)).toBeLessThan(1e-5);
    });
  }
});
