/**
 * The frame summary kernels (shaders/frame_summary.wgsl) against the host
 * reference of src/sampling/frames.ts: top-k ids and values bit for bit,
 * in the same order and with the same tie-breaking (ties to the lower id),
 * entropy within float tolerance, the non-finite flags, and the row chunks
 * a lowered binding limit forces.
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/engine/backend.ts';
import { entropy, topK } from '../../src/engine/kernels/frameSummary.ts';
import { setMaxBindingBytes } from '../../src/engine/kernels/kernel.ts';
import type { GpuBackend } from '../../src/engine/webgpu/gpuBackend.ts';
import { rowEntropy, topKRows } from '../../src/sampling/frames.ts';
import { gpuBackend } from '../gpu.ts';
import { randomArray } from '../helpers.ts';

/** Values in [-1, 1), or `levels` distinct values (many ties). */
function values(n: number, seed: number, levels = 0): Float32Array {
  const x = randomArray(n, seed);
  if (levels) for (let i = 0; i < n; i++) x[i] = Math.floor((x[i] + 1) / 2 * levels) / levels;
  return x;
}

function softmaxRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, s = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
    for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - m);
    for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(x[r * cols + j] - m) / s;
  }
  return out;
}

async function deviceTopK(gpu: GpuBackend, x: Float32Array, rows: number, cols: number, k: number) {
  const tx = gpu.tensor(x.length), ids = gpu.tensor(rows * k, 'ids', 'u32'), vals = gpu.tensor(rows * k), flags = gpu.tensor(rows, 'flags', 'u32');
  gpu.write(tx, x);
  topK(gpu.ctx, ids, vals, flags, tx, rows, cols, k);
  const out = { ids: await gpu.readU32(ids), vals: await gpu.read(vals), flags: await gpu.readU32(flags) };
  for (const t of [tx, ids, vals, flags] as Tensor[]) gpu.release(t);
  return out;
}

async function withRows<T>(gpu: GpuBackend, rows: 'thread' | 'lanes', f: () => Promise<T>): Promise<T> {
  const saved = gpu.ctx.tuning;
  gpu.ctx.tuning = { ...saved, rows };
  try { return await f(); } finally { gpu.ctx.tuning = saved; }
}

describe('frame_summary_topk vs topKRows', () => {
  // [rows, cols, k, levels]: odd sizes, heavy ties, k = 1 and k = cols, rows past one workgroup.
  const cases: [number, number, number, number][] = [[5, 37, 8, 0], [3, 11, 8, 3], [4, 5, 5, 0], [7, 64, 1, 0], [2, 100, 100, 4], [300, 23, 6, 5], [3, 1000, 16, 0]];
  for (const mode of ['thread', 'lanes'] as const) {
    for (const [rows, cols, k, levels] of cases) {
      it(`${rows}×${cols}, k=${k}${levels ? `, ${levels} levels` : ''} (${mode})`, async () => {
        const gpu = await gpuBackend();
        const x = values(rows * cols, rows * 97 + cols + k, levels);
        const want = topKRows(x, rows, cols, k);
        const got = await withRows(gpu, mode, () => deviceTopK(gpu, x, rows, cols, k));
        expect([...got.ids]).toEqual([...want.ids]);
        expect([...got.vals]).toEqual([...want.vals]);
        expect([...got.flags].every((f) => f === 0)).toBe(true);
      });
    }
  }

  it('flags rows holding NaN or ±Inf, and keeps the other rows exact', async () => {
    const gpu = await gpuBackend();
    const rows = 6, cols = 50, k = 4;
    const x = values(rows * cols, 3);
    x[1 * cols + 7] = NaN;
    x[3 * cols + 49] = Infinity;
    x[4 * cols] = -Infinity;
    for (const mode of ['thread', 'lanes'] as const) {
      const got = await withRows(gpu, mode, () => deviceTopK(gpu, x, rows, cols, k));
      expect([...got.flags]).toEqual([0, 1, 0, 1, 1, 0]);
      const want = topKRows(x, rows, cols, k);
      for (const r of [0, 2, 5]) expect([...got.ids.subarray(r * k, r * k + k)]).toEqual([...want.ids.subarray(r * k, r * k + k)]);
      // a NaN never ranks: row 1's candidates are its finite entries
      expect([...got.ids.subarray(k, 2 * k)]).toEqual([...topKRows(x.subarray(cols, 2 * cols).map((v) => (Number.isNaN(v) ? -2 : v)), 1, cols, k).ids]);
    }
  });

  it('refuses k above the row length', async () => {
    const gpu = await gpuBackend();
    const t = gpu.tensor(10);
    expect(() => topK(gpu.ctx, t, t, t, t, 2, 5, 6)).toThrow(/above the row length/);
  });
});

describe('frame_summary_entropy vs rowEntropy', () => {
  for (const mode of ['thread', 'lanes'] as const) {
    it(`softmax rows, one-hot and uniform rows (${mode})`, async () => {
      const gpu = await gpuBackend();
      const rows = 260, cols = 301;
      const p = softmaxRows(values(rows * cols, 11).map((v) => v * 6), rows, cols);
      p.fill(0, 0, cols); p[5] = 1; // one-hot: 0 nats
      p.fill(1 / cols, cols, 2 * cols); // uniform: ln V
      const want = rowEntropy(p, rows, cols);
      const got = await withRows(gpu, mode, async () => {
        const tp = gpu.tensor(p.length), out = gpu.tensor(rows);
        gpu.write(tp, p);
        entropy(gpu.ctx, out, tp, rows, cols);
        const r = await gpu.read(out);
        gpu.release(tp); gpu.release(out);
        return r;
      });
      expect(got[0]).toBe(0);
      for (let r = 0; r < rows; r++) expect(Math.abs(got[r] - want[r]), `row ${r}`).toBeLessThan(2e-6 * Math.max(1, want[r]));
    });
  }
});

describe('frame summaries in row chunks (binding limit lowered)', () => {
  for (const mode of ['thread', 'lanes'] as const) {
    it(`give the same bits as one dispatch (${mode})`, async () => {
      const gpu = await gpuBackend();
      const rows = 200, cols = 130, k = 5;
      const x = values(rows * cols, 21, 7);
      const p = softmaxRows(x, rows, cols);
      const run = async () => {
        const tx = gpu.tensor(x.length), tp = gpu.tensor(p.length);
        const ids = gpu.tensor(rows * k, 'ids', 'u32'), vals = gpu.tensor(rows * k), flags = gpu.tensor(rows, 'flags', 'u32'), h = gpu.tensor(rows);
        gpu.write(tx, x); gpu.write(tp, p);
        topK(gpu.ctx, ids, vals, flags, tx, rows, cols, k);
        entropy(gpu.ctx, h, tp, rows, cols);
        const out = [await gpu.readU32(ids), await gpu.readU32(vals), await gpu.readU32(flags), await gpu.readU32(h)];
        for (const t of [tx, tp, ids, vals, flags, h]) gpu.release(t);
        return out;
      };
      const whole = await withRows(gpu, mode, run);
      // 64 rows of 130 floats per binding: 4 chunks.
      setMaxBindingBytes(gpu.ctx, 64 * cols * 4 + 100);
      try {
        const split = await withRows(gpu, mode, run);
        split.forEach((s, i) => expect([...s], `output ${i}`).toEqual([...whole[i]]));
      } finally {
        setMaxBindingBytes(gpu.ctx, null);
      }
      const want = topKRows(x, rows, cols, k);
      expect([...whole[0]]).toEqual([...want.ids]);
    });
  }
});
