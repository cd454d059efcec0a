/**
 * Every kernel flattens its 2-D dispatch grid with the shared helpers of
 * shaders/lib/grid.wgsl. Real inputs reach a second grid dimension only past
 * 65 535 workgroups, so this file lowers the per-dimension limit the wrappers
 * use (setMaxWorkgroupsPerDim) to 2 and checks that each op then dispatches a
 * 2-D grid and produces exactly the same bits as with the 1-D grid.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Tensor } from '../../src/engine/backend.ts';
import { setMaxWorkgroupsPerDim } from '../../src/engine/kernels/kernel.ts';
import type { GpuBackend } from '../../src/engine/webgpu/gpuBackend.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

interface Case {
  /** Writes fresh inputs, returns the op (to run once) and the tensors it writes. */
  setup(gpu: GpuBackend): { run: () => void; outputs: Tensor[] };
}

function f32(gpu: GpuBackend, n: number, seed: number, scale = 1): Tensor {
  const t = gpu.tensor(n);
  gpu.write(t, randomArray(n, seed, scale));
  return t;
}

function u32(gpu: GpuBackend, values: number[]): Tensor {
  const t = gpu.tensor(values.length, 'u32', 'u32');
  gpu.write(t, Uint32Array.from(values));
  return t;
}

// Sizes: at least 3 workgroups per op (more than the limit of 2) with one
// thread per row (the CPU-emulated adapters' tuning, 256 rows per workgroup)
// and with lanes per row.
const R = 600, V = 5, D = 40, L = 100, N = 2000;
const ln = { rows: R, dim: D, rowsPerItem: L, modStride: 6 * D, shiftOffset: 3 * D, scaleOffset: 4 * D, eps: 1e-5 };
const gate = { rows: R, dim: D, rowsPerItem: L, modStride: 6 * D, gateOffset: 2 * D };
const att = { batch: 2, length: 70, heads: 2, headDim: 8, softcap: 50 };
const items = R / L, hd = att.batch * att.heads * att.length * att.headDim;

const cases: Record<string, Case> = {
  'axpby, fill, lincomb3': { setup: (g) => {
    const out = g.tensor(N), out2 = g.tensor(N), out3 = g.tensor(N);
    const x = f32(g, N, 1), y = f32(g, N, 2), c = f32(g, 6, 3);
    return { outputs: [out, out2, out3], run: () => {
      g.ops.axpby(out, 0.5, x, -2, y, N); g.ops.fill(out2, 3, N - 1); g.ops.lincomb3({ out: out3, x, y, z: out, c }, N, N / 2);
    } };
  } },
  'silu, gelu (and backward)': { setup: (g) => {
    const x = f32(g, N, 4, 8), dy = f32(g, N, 5), a = g.tensor(N), b = f32(g, N, 6), c = g.tensor(N), d = f32(g, N, 7);
    return { outputs: [a, b, c, d], run: () => {
      g.ops.silu(a, x, N); g.ops.siluBackward(b, x, dy, N, true); g.ops.gelu(c, x, N, 'erf'); g.ops.geluBackward(d, x, dy, N, 'tanh', true);
    } };
  } },
  'timeEmbedding, gaussian, dropout, flmNoising': { setup: (g) => {
    const te = g.tensor(5 * 300), t = f32(g, 5, 8), noise = g.tensor(N), drop = g.tensor(N), x = g.tensor(2 * 60 * 17);
    const eps = f32(g, 2 * 60 * 17, 9), targets = u32(g, Array.from({ length: 120 }, (_, i) => i % 17)), gamma = f32(g, 2, 10);
    const dx = f32(g, N, 11);
    return { outputs: [te, noise, drop, x], run: () => {
      g.ops.timeEmbedding(te, t, 5, 300); g.ops.gaussian(noise, N, 42, 3);
      g.ops.dropout(drop, dx, N, 0.25, 7, 1); g.ops.flmNoising(x, eps, targets, gamma, 2, 60, 17);
    } };
  } },
  'lnModulate, gateResidual (and backward)': { setup: (g) => {
    const x = f32(g, R * D, 12, 3), w = f32(g, D, 13), mod = f32(g, items * 6 * D, 14), dout = f32(g, R * D, 15);
    const out = g.tensor(R * D), mean = g.tensor(R), rstd = g.tensor(R), dx = f32(g, R * D, 16), dw = g.tensor(D), dmod = g.tensor(items * 6 * D);
    const h = f32(g, R * D, 17), dy = g.tensor(R * D), dmod2 = g.tensor(items * 6 * D);
    return { outputs: [out, mean, rstd, dx, dw, dmod, h, dy, dmod2], run: () => {
      g.ops.lnModulate({ out, mean, rstd, x, w, mod }, ln);
      g.ops.lnModulateBackward({ dx, dw, dmod, dout, x, mean, rstd, w, mod }, ln);
      g.ops.gateResidual(h, x, mod, gate);
      g.ops.gateResidualBackward({ dy, dmod: dmod2, dh: dout, y: x, mod }, gate);
    } };
  } },
  'rope, attention (and backward)': { setup: (g) => {
    const Dm = att.heads * att.headDim, qkv = f32(g, att.batch * att.length * 3 * Dm, 18);
    const q = g.tensor(hd), k = g.tensor(hd), v = g.tensor(hd), o = g.tensor(att.batch * att.length * Dm);
    const p = g.tensor(att.batch * att.heads * att.length * att.length), dout = f32(g, att.batch * att.length * Dm, 19);
    const dq = g.tensor(hd), dk = g.tensor(hd), dv = g.tensor(hd), scratch = g.tensor(p.size), dqkv = g.tensor(qkv.size);
    return { outputs: [q, k, v, o, p, dq, dk, dv, scratch, dqkv], run: () => {
      g.ops.rope(q, k, v, qkv, att);
      g.ops.attention({ o, att: p, q, k, v }, att);
      g.ops.attentionBackward({ dq, dk, dv, scratch, dout, att: p, q, k, v, o }, att);
      g.ops.ropeBackward(dqkv, dq, dk, dv, att);
    } };
  } },
  'softmax, crossEntropy, weightedLoss, distillation losses': { setup: (g) => {
    const x = f32(g, R * V, 20, 4), targets = u32(g, Array.from({ length: R }, (_, i) => (i * 7) % V));
    const sm = g.tensor(R * V), ce = g.tensor(R), dl = g.tensor(R * V), dce = f32(g, R, 21);
    const per = g.tensor(R), loss = g.tensor(1), dce2 = g.tensor(R), wdw = g.tensor(R / 60), w = f32(g, R / 60, 22);
    const tgt = f32(g, R * V, 23), c = f32(g, items, 24), raw1 = g.tensor(R), dg = g.tensor(R * V);
    const F = f32(g, R * V, 25), xs = f32(g, R * V, 26), raw2 = g.tensor(R), q = g.tensor(R * V), dl2 = g.tensor(R * V);
    return { outputs: [sm, ce, dl, per, loss, dce2, wdw, raw1, dg, raw2, q, dl2], run: () => {
      g.ops.logSoftmax(sm, x, R, V);
      g.ops.crossEntropy(ce, x, targets, R, V);
      g.ops.crossEntropyBackward(dl, x, targets, dce, R, V);
      g.ops.weightedLoss({ perToken: per, loss, dce: dce2, dw: wdw, ce, w }, R / 60, 60);
      g.ops.distillStage1Loss(raw1, x, tgt, c, R, V, L);
      g.ops.distillStage1Backward({ dg, g: x, tgt, c, dce }, R, V, L);
      g.ops.distillStage2Loss({ raw: raw2, q, logits: x, F, xs, a: c }, R, V, L);
      g.ops.distillStage2Backward({ dlogits: dl2, q, F, xs, a: c, dce }, R, V, L);
    } };
  } },
  'globalNormSq, adamw, ema': { setup: (g) => {
    const grads = f32(g, N, 27), scratch = g.tensor(g.ops.gradNormScratchSize(N)), norm = g.tensor(1);
    const params = f32(g, N, 28), m = f32(g, N, 29, 0.1), v = g.tensor(N), e = f32(g, N, 30);
    return { outputs: [norm, params, m, v, e], run: () => {
      g.ops.globalNormSq(norm, scratch, grads, N);
      g.ops.adamw({ params, grads, m, v, normSq: norm }, N, { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 2, maxGradNorm: 1 });
      g.ops.ema(e, params, N, 0.9);
    } };
  } },
};

async function runCase(gpu: GpuBackend, c: Case, limit: number | null): Promise<{ bits: Uint32Array[]; grids: number[][] }> {
  const spy = vi.spyOn(gpu.ctx, 'dispatch');
  setMaxWorkgroupsPerDim(gpu.ctx, limit);
  try {
    const { run, outputs } = c.setup(gpu);
    run();
    const bits = await Promise.all(outputs.map((t) => gpu.readU32(t)));
    return { bits, grids: spy.mock.calls.map((call) => call[4]) };
  } finally {
    setMaxWorkgroupsPerDim(gpu.ctx, null);
    spy.mockRestore();
  }
}

describe('kernels on a 2-D dispatch grid give the same bits as on a 1-D one', () => {
  for (const rowsMode of ['thread', 'lanes'] as const) {
    for (const [name, c] of Object.entries(cases)) {
      it(`${name} (${rowsMode} per row)`, async () => {
        const gpu = await gpuBackend();
        const saved = gpu.ctx.tuning;
        gpu.ctx.tuning = { ...saved, rows: rowsMode };
        try {
          const flat = await runCase(gpu, c, null);
          const split = await runCase(gpu, c, 2);
          expect(flat.grids.every(([, y]) => y === 1)).toBe(true);
          expect(split.grids.some(([x, y]) => x <= 2 && y > 1)).toBe(true);
          expect(split.bits.length).toBe(flat.bits.length);
          flat.bits.forEach((want, i) => expect(split.bits[i], `output ${i}`).toEqual(want));
        } finally {
          gpu.ctx.tuning = saved;
        }
      });
    }
  }
});
