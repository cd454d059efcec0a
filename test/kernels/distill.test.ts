import { describe, expect, it } from 'vitest';
import * as ref from '../../src/engine/reference/distill.ts';
import { gpuBackend } from '../gpu.ts';
import { maxRelL2, randomArray } from '../helpers.ts';

// [batch, length, vocab]
const cases: [number, number, number][] = [[1, 1, 2], [3, 24, 37], [2, 7, 300], [4, 5, 1000], [2, 3, 5000]];

describe('flow-map distillation kernels vs the CPU reference', () => {
  it('lincomb3: per-batch coefficients; zero coefficients do not read their input', async () => {
    const gpu = await gpuBackend();
    for (const [B, per] of [[1, 1], [3, 37 * 24], [5, 1001]]) {
      const n = B * per;
      const x = randomArray(n, 1), y = randomArray(n, 2), z = randomArray(n, 3);
      const c = randomArray(3 * B, 4);
      c[1] = 0; // the first batch element skips y …
      y[0] = NaN; // … so this NaN must not leak
      const want = new Float32Array(n);
      ref.lincomb3({ out: want, x, y, z, c }, n, per);
      expect(Number.isNaN(want[0])).toBe(false);
      const t = (a: Float32Array) => { const tt = gpu.tensor(a.length); gpu.write(tt, a); return tt; };
      const out = gpu.tensor(n);
      gpu.ops.lincomb3({ out, x: t(x), y: t(y), z: t(z), c: t(c) }, n, per);
      expect(maxRelL2(await gpu.read(out), want)).toBeLessThan(1e-6);
    }
  });

  for (const [B, L, V] of cases) for (const rowsMode of ['thread', 'lanes'] as const) {
    it(`stage-1 and stage-2 losses and gradients, B ${B} L ${L} V ${V}, ${rowsMode === 'lanes' ? 'lanes per row (real GPUs)' : 'a thread per row (CPU-emulated adapters)'}`, async () => {
      const gpu = await gpuBackend();
      const saved = gpu.ctx.tuning;
      gpu.ctx.tuning = { ...saved, rows: rowsMode };
      try {
      const rows = B * L, n = rows * V;
      const g = randomArray(n, B + V, 2), tgt = randomArray(n, L + V, 1);
      const c = randomArray(B, 7, 1), dce = randomArray(rows, 8, 1);
      const logits = randomArray(n, 9, 5), F = randomArray(n, 10, 1), xs = randomArray(n, 11, 1), a = randomArray(B, 12, 1);
      const t = (arr: Float32Array) => { const tt = gpu.tensor(arr.length); gpu.write(tt, arr); return tt; };
      const [tg, tt, tc, td, tl, tF, tx, ta] = [g, tgt, c, dce, logits, F, xs, a].map(t);

      const raw1 = new Float32Array(rows), dg = new Float32Array(n);
      ref.distillStage1Loss(raw1, g, tgt, c, rows, V, L);
      ref.distillStage1Backward({ dg, g, tgt, c, dce }, rows, V, L);
      const oRaw = gpu.tensor(rows), oDg = gpu.tensor(n);
      gpu.ops.distillStage1Loss(oRaw, tg, tt, tc, rows, V, L);
      gpu.ops.distillStage1Backward({ dg: oDg, g: tg, tgt: tt, c: tc, dce: td }, rows, V, L);
      expect(maxRelL2(await gpu.read(oRaw), raw1)).toBeLessThan(1e-5);
      expect(maxRelL2(await gpu.read(oDg), dg)).toBeLessThan(1e-5);

      const raw2 = new Float32Array(rows), q = new Float32Array(n), dl = new Float32Array(n);
      ref.distillStage2Loss({ raw: raw2, q, logits, F, xs, a }, rows, V, L);
      ref.distillStage2Backward({ dlogits: dl, q, F, xs, a, dce }, rows, V, L);
      const oRaw2 = gpu.tensor(rows), oQ = gpu.tensor(n), oDl = gpu.tensor(n);
      gpu.ops.distillStage2Loss({ raw: oRaw2, q: oQ, logits: tl, F: tF, xs: tx, a: ta }, rows, V, L);
      gpu.ops.distillStage2Backward({ dlogits: oDl, q: oQ, F: tF, xs: tx, a: ta, dce: td }, rows, V, L);
      expect(maxRelL2(await gpu.read(oQ), q)).toBeLessThan(1e-5);
      expect(maxRelL2(await gpu.read(oRaw2), raw2)).toBeLessThan(1e-5);
      expect(maxRelL2(await gpu.read(oDl), dl)).toBeLessThan(1e-4);
      } finally {
        gpu.ctx.tuning = saved;
      }
    });
  }

  it('the references are the derivatives of the losses (finite differences)', () => {
    const B = 2, L = 3, V = 5, rows = B * L, n = rows * V, h = 1e-3;
    const g = randomArray(n, 1), tgt = randomArray(n, 2), c = randomArray(B, 3), logits = randomArray(n, 4, 2);
    const F = randomArray(n, 5), xs = randomArray(n, 6), a = randomArray(B, 7);
    const dce = Float32Array.from({ length: rows }, (_, r) => 0.5 + r / 10);
    const loss1 = (gg: Float32Array) => { const r = new Float32Array(rows); ref.distillStage1Loss(r, gg, tgt, c, rows, V, L); return r.reduce((s, v, i) => s + v * dce[i], 0); };
    const loss2 = (ll: Float32Array) => { const r = new Float32Array(rows), q = new Float32Array(n); ref.distillStage2Loss({ raw: r, q, logits: ll, F, xs, a }, rows, V, L); return r.reduce((s, v, i) => s + v * dce[i], 0); };
    const dg = new Float32Array(n), q = new Float32Array(n), dl = new Float32Array(n), raw = new Float32Array(rows);
    ref.distillStage1Backward({ dg, g, tgt, c, dce }, rows, V, L);
    ref.distillStage2Loss({ raw, q, logits, F, xs, a }, rows, V, L);
    ref.distillStage2Backward({ dlogits: dl, q, F, xs, a, dce }, rows, V, L);
    for (const i of [0, 7, n - 1]) {
      const gp = g.slice(), gm = g.slice(); gp[i] += h; gm[i] -= h;
      expect((loss1(gp) - loss1(gm)) / (2 * h)).toBeCloseTo(dg[i], 2);
      const lp = logits.slice(), lm = logits.slice(); lp[i] += h; lm[i] -= h;
      expect((loss2(lp) - loss2(lm)) / (2 * h)).toBeCloseTo(dl[i], 2);
    }
  });
});
