/**
 * One table of kernel cases for any backend: each case builds the same
 * inputs on a backend, runs the op through `backend.ops` and reads the
 * outputs back. The test runs every case on the reference (CpuBackend, the
 * oracle) and on the backend under test and compares output by output with
 * the tolerances of test/kernels/. Shapes include sizes that divide none of
 * the SIMD width (4), the matmul blocks (4×8 micro-tiles, 64×128 blocks,
 * K slices of 256) or the attention key tiles (64); outputs start with stale
 * contents, so overwrite-vs-accumulate is checked too.
 */
import type { AttentionParams, Backend, GateParams, LnModulateParams, Ops, Tensor } from '../../src/engine/backend.ts';
import { alignUp, VIEW_ALIGN } from '../../src/engine/backend.ts';
import { randomArray } from '../helpers.ts';

/** How one output is compared with the reference. */
export interface Check {
  /** Relative L2 error bound (‖got − want‖/‖want‖ <). */
  relL2?: number;
  /** Bound on max |got − want|. */
  abs?: number;
  /** Bound on |got − want| / max(1, |want|), element by element. */
  elem?: number;
  /** Bit-identical (NaN equals NaN). */
  exact?: boolean;
}

export type OpName = Exclude<keyof Ops, 'gradNormScratchSize'>;

export interface OpCase {
  op: OpName;
  name: string;
  run(b: Backend): Promise<Record<string, Float32Array>>;
  /** One check for every output, or one per output name. */
  check: Check | Record<string, Check>;
  /**
   * The WebGPU backend's check where it differs: its row kernels reduce in
   * f32 (workgroup trees), where the reference and the wasm kernels sum in f64.
   */
  webgpuCheck?: Check;
}

const up = (b: Backend, a: Float32Array): Tensor => { const t = b.tensor(a.length); b.write(t, a); return t; };
const upU = (b: Backend, a: Uint32Array): Tensor => { const t = b.tensor(a.length, 'u32', 'u32'); b.write(t, a); return t; };
const stale = (b: Backend, n: number, seed = 99): Tensor => up(b, randomArray(n, seed, 7));
const read = async (b: Backend, ts: Record<string, Tensor>): Promise<Record<string, Float32Array>> => {
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(ts)) out[k] = await b.read(t);
  return out;
};

const EXTREMES = [0, -0, 1e-6, -1e-6, 0.5, -0.5, 3, -3, 5.5, -5.5, 9, -9, 13, -13, 20, -20, 50, -50, 1e4, -1e4, 3e38, -3e38];
function withExtremes(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, 6);
  x.set(EXTREMES.slice(0, Math.min(n, EXTREMES.length)));
  return x;
}

export const cases: OpCase[] = [];

// ---- matmul and sumRows ----
const MM_SHAPES: [number, number, number][] = [
  [1, 1, 1], [5, 7, 3], [64, 64, 16], [70, 33, 129], [3, 200, 37], [130, 65, 64], [36, 20, 8], [100, 68, 44],
  [1, 12, 4], [18, 8, 12], [8, 8, 6], [65, 64, 96],
  // several output blocks and K slices, none of them full
  [130, 260, 300], [67, 129, 513],
];
for (const [M, N, K] of MM_SHAPES) for (const transA of [false, true]) for (const transB of [false, true]) {
  const withBias = (M + N) % 2 === 0, accumulate = transA !== transB;
  cases.push({
    op: 'matmul', name: `M=${M} N=${N} K=${K} transA=${transA} transB=${transB}${withBias ? ' bias' : ''}${accumulate ? ' +=' : ''}`,
    check: { relL2: 1e-5 },
    async run(b) {
      const a = up(b, randomArray(M * K, M * 31 + K, 1)), bb = up(b, randomArray(K * N, N * 17 + K, 1));
      const bias = up(b, randomArray(N, 5, 1)), out = up(b, randomArray(M * N, 9, 1));
      b.ops.matmul(out, a, bb, { M, N, K, transA, transB, accumulate }, withBias ? bias : undefined);
      return read(b, { out });
    },
  });
}
for (const [M, N, K, transA, transB] of [[48, 32, 20, false, true], [20, 36, 64, true, false], [17, 65, 33, false, false]] as const) {
  cases.push({
    op: 'matmul', name: `views: M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`, check: { relL2: 1e-5 },
    async run(b) {
      const offB = VIEW_ALIGN + alignUp(M * K), offBias = offB + alignUp(K * N);
      const inputs = b.tensor(offBias + N), outputs = stale(b, 2 * VIEW_ALIGN + M * N);
      const ta = b.view(inputs, VIEW_ALIGN, M * K), tb = b.view(inputs, offB, K * N), tbias = b.view(inputs, offBias, N);
      b.write(ta, randomArray(M * K, 11, 1)); b.write(tb, randomArray(K * N, 12, 1)); b.write(tbias, randomArray(N, 13, 1));
      b.ops.matmul(b.view(outputs, VIEW_ALIGN, M * N), ta, tb, { M, N, K, transA, transB }, tbias);
      return read(b, { outputs }); // the whole buffer: nothing outside the view may change
    },
  });
}
for (const [rows, cols] of [[1, 1], [3, 37], [129, 65], [1000, 7], [5, 8]]) for (const accumulate of [false, true]) {
  cases.push({
    op: 'sumRows', name: `${rows}×${cols}${accumulate ? ' +=' : ''}`, check: { relL2: 1e-5 },
    async run(b) {
      const out = up(b, randomArray(cols + 3, 3));
      b.ops.sumRows(out, up(b, randomArray(rows * cols, rows + cols)), rows, cols, accumulate);
      return read(b, { out });
    },
  });
}

// ---- elementwise activations ----
for (const n of [1, 30, 4099]) {
  cases.push({
    op: 'silu', name: `n=${n}`, check: { relL2: 1e-6, elem: 1e-6 },
    async run(b) {
      const out = stale(b, n + 5);
      b.ops.silu(out, up(b, withExtremes(n, n + 7)), n);
      return read(b, { out });
    },
  });
  for (const accumulate of [false, true]) {
    cases.push({
      op: 'siluBackward', name: `n=${n}${accumulate ? ' +=' : ''}`, check: { relL2: 1e-6, abs: 2e-6 },
      async run(b) {
        const dx = up(b, randomArray(n, n + 10, 1));
        b.ops.siluBackward(dx, up(b, withExtremes(n, n + 8)), up(b, randomArray(n, n + 9, 2)), n, accumulate);
        return read(b, { dx });
      },
    });
  }
  for (const approx of ['tanh', 'erf'] as const) {
    cases.push({
      op: 'gelu', name: `${approx} n=${n}`, check: { relL2: 1e-6, elem: 1e-6 },
      async run(b) {
        const out = stale(b, n);
        b.ops.gelu(out, up(b, withExtremes(n, n + 7)), n, approx);
        return read(b, { out });
      },
    });
    for (const accumulate of [false, true]) {
      cases.push({
        op: 'geluBackward', name: `${approx} n=${n}${accumulate ? ' +=' : ''}`, check: { relL2: 1e-6, abs: 2e-6 },
        async run(b) {
          const dx = up(b, randomArray(n, n + 10, 1));
          b.ops.geluBackward(dx, up(b, withExtremes(n, n + 8)), up(b, randomArray(n, n + 9, 2)), n, approx, accumulate);
          return read(b, { dx });
        },
      });
    }
  }
}
for (const [batch, dim] of [[1, 256], [9, 256], [3, 7], [4, 2], [3, 1000], [2, 512]]) {
  cases.push({
    op: 'timeEmbedding', name: `batch=${batch} dim=${dim}, t ∈ [0, 1]`, check: { relL2: 1e-6, abs: 3e-7 },
    async run(b) {
      const t = randomArray(batch, batch * 13 + dim, 0.5).map((v) => v + 0.5);
      t[0] = 1;
      if (batch > 1) t[1] = 0;
      if (batch > 2) t[2] = 1e-4;
      const out = up(b, new Float32Array(batch * dim).fill(5));
      b.ops.timeEmbedding(out, up(b, t), batch, dim);
      return read(b, { out });
    },
  });
}
cases.push({
  op: 'timeEmbedding', name: 'large t (angle reduction)', check: { abs: 1e-4 },
  async run(b) {
    const out = b.tensor(6 * 256);
    b.ops.timeEmbedding(out, up(b, Float32Array.from([2, 3.5, 10, 100, 999, 1000])), 6, 256);
    return read(b, { out });
  },
});

// ---- LayerNorm with modulation, gated residual ----
const LN: [number, number, number, number, number, number, number?][] = [
  // rows, D, rowsPerItem, modStride/D, shiftOffset/D, scaleOffset/D, mean offset
  [5, 7, 2, 6, 0, 1], [13, 37, 5, 6, 3, 4], [9, 64, 9, 2, 0, 1], [33, 100, 4, 6, 0, 1], [11, 768, 3, 6, 3, 4],
  [300, 7, 100, 2, 0, 1], [4, 1030, 2, 2, 0, 1], [6, 100, 3, 6, 0, 1, 1000], [6, 37, 2, 2, 0, 1, -3000],
];
for (const [rows, dim, rowsPerItem, s, sh, sc, offsetMean] of LN) {
  const p: LnModulateParams = { rows, dim, rowsPerItem, modStride: s * dim, shiftOffset: sh * dim, scaleOffset: sc * dim, eps: 1e-6 };
  const items = Math.ceil(rows / rowsPerItem);
  const x = randomArray(rows * dim, rows * 7 + dim, 2);
  if (offsetMean) for (let i = 0; i < x.length; i++) x[i] += offsetMean;
  const w = randomArray(dim, dim + 3, 1).map((v) => 1 + v * 0.5), mod = randomArray(items * p.modStride, items + dim, 0.5);
  const label = `rows=${rows} D=${dim} rowsPerItem=${rowsPerItem} stride=${p.modStride}${offsetMean ? ` mean≈${offsetMean}` : ''}`;
  cases.push({
    op: 'lnModulate', name: label, check: { out: { relL2: 1e-5 }, mean: { relL2: 1e-4 }, rstd: { relL2: 1e-5 } },
    async run(b) {
      const out = stale(b, rows * dim), mean = stale(b, rows), rstd = stale(b, rows);
      b.ops.lnModulate({ out, mean, rstd, x: up(b, x), w: up(b, w), mod: up(b, mod) }, p);
      return read(b, { out, mean, rstd });
    },
  });
  cases.push({
    op: 'lnModulateBackward', name: label, check: { dx: { relL2: 1e-5 }, dw: { relL2: 1e-5 }, dmod: { relL2: 1e-5 } },
    async run(b) {
      // The saved statistics come from the reference on both backends, so only the backward differs.
      const mean = new Float32Array(rows), rstd = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let m = 0, v = 0;
        for (let j = 0; j < dim; j++) m += x[r * dim + j];
        m /= dim;
        for (let j = 0; j < dim; j++) v += (x[r * dim + j] - m) ** 2;
        mean[r] = m; rstd[r] = 1 / Math.sqrt(v / dim + p.eps);
      }
      const dx = up(b, randomArray(rows * dim, 11 + dim, 1)), dw = stale(b, dim), dmod = up(b, randomArray(items * p.modStride, 13 + dim, 1));
      b.ops.lnModulateBackward({ dx, dw, dmod, dout: up(b, randomArray(rows * dim, rows + 5 * dim, 1)), x: up(b, x), mean: up(b, mean), rstd: up(b, rstd), w: up(b, w), mod: up(b, mod) }, p);
      return read(b, { dx, dw, dmod });
    },
  });
}
for (const [rows, dim, rowsPerItem, s, g] of [[5, 7, 2, 6, 2], [13, 37, 5, 6, 5], [9, 64, 9, 6, 0], [33, 100, 4, 2, 1], [11, 768, 3, 6, 5], [300, 7, 100, 6, 2], [70, 3, 1, 2, 1]]) {
  const p: GateParams = { rows, dim, rowsPerItem, modStride: s * dim, gateOffset: g * dim };
  const items = Math.ceil(rows / rowsPerItem);
  const label = `rows=${rows} D=${dim} rowsPerItem=${rowsPerItem} stride=${p.modStride} gate=${p.gateOffset}`;
  const y = randomArray(rows * dim, 3 * rows + dim, 1), mod = randomArray(items * p.modStride, items + 7 * dim, 1);
  cases.push({
    op: 'gateResidual', name: label, check: { relL2: 1e-6 },
    async run(b) {
      const h = up(b, randomArray(rows * dim, rows + dim, 1));
      b.ops.gateResidual(h, up(b, y), up(b, mod), p);
      return read(b, { h });
    },
  });
  cases.push({
    op: 'gateResidualBackward', name: label, check: { dy: { relL2: 1e-6 }, dmod: { relL2: 1e-5 } },
    async run(b) {
      const dy = stale(b, rows * dim), dmod = up(b, randomArray(items * p.modStride, 17 + dim, 1));
      b.ops.gateResidualBackward({ dy, dmod, dh: up(b, randomArray(rows * dim, 5 * rows + dim, 1)), y: up(b, y), mod: up(b, mod) }, p);
      return read(b, { dy, dmod });
    },
  });
}

// ---- rotary embedding and attention ----
for (const [B, L, H, d] of [[1, 1, 1, 2], [2, 7, 3, 6], [2, 37, 3, 16], [1, 70, 2, 64], [1, 5, 1, 128], [1, 1500, 1, 8]]) {
  const p: AttentionParams = { batch: B, length: L, heads: H, headDim: d, softcap: 50 };
  const n = B * L * H * d;
  cases.push({
    op: 'rope', name: `B=${B} L=${L} H=${H} d=${d}`, check: { q: { relL2: 1e-5 }, k: { relL2: 1e-5 }, v: { exact: true } },
    async run(b) {
      const q = stale(b, n), k = stale(b, n), v = stale(b, n);
      b.ops.rope(q, k, v, up(b, randomArray(3 * n, B * 101 + L * 7 + d, 1)), p);
      return read(b, { q, k, v });
    },
  });
  cases.push({
    op: 'ropeBackward', name: `B=${B} L=${L} H=${H} d=${d}`, check: { relL2: 1e-5 },
    async run(b) {
      const dqkv = stale(b, 3 * n);
      b.ops.ropeBackward(dqkv, up(b, randomArray(n, 11 + L, 1)), up(b, randomArray(n, 12 + L, 1)), up(b, randomArray(n, 13 + L, 1)), p);
      return read(b, { dqkv });
    },
  });
}
const ATTN: [number, number, number, number, number, number, boolean][] = [
  // B, L, H, d, softcap, q/k scale, causal
  [1, 1, 1, 2, 50, 1, false], [2, 7, 3, 6, 50, 1, false], [2, 37, 3, 16, 0, 1, false], [2, 70, 3, 16, 50, 1, false],
  [1, 70, 2, 64, 50, 1, false], [1, 70, 2, 64, 0, 1, false], [1, 37, 2, 16, 50, 10, false], [1, 33, 1, 128, 50, 1, false],
  [2, 130, 1, 8, 50, 2, false], [1, 1, 1, 2, 50, 1, true], [2, 7, 3, 6, 50, 1, true], [2, 37, 3, 16, 0, 1, true],
  [2, 70, 3, 16, 50, 1, true], [1, 64, 4, 16, 50, 1, true], [1, 70, 2, 64, 50, 1, true], [1, 37, 2, 16, 50, 10, true],
  [1, 33, 1, 128, 50, 1, true], [2, 130, 1, 8, 50, 2, true], [1, 5, 2, 3, 50, 1, false],
];
for (const [B, L, H, d, softcap, qk, causal] of ATTN) {
  const p: AttentionParams = { batch: B, length: L, heads: H, headDim: d, softcap, causal };
  const n = B * H * L * d, na = B * H * L * L, seed = L * 1000 + d * 10 + H;
  const label = `B=${B} L=${L} H=${H} d=${d} softcap=${softcap} qk×${qk}${causal ? ' causal' : ''}`;
  const q = randomArray(n, seed + 1, qk), k = randomArray(n, seed + 2, qk), v = randomArray(n, seed + 3, 1);
  cases.push({
    op: 'attention', name: label, check: { relL2: 1e-5 },
    async run(b) {
      const o = stale(b, n, 7), att = stale(b, na, 8);
      b.ops.attention({ o, att, q: up(b, q), k: up(b, k), v: up(b, v) }, p);
      return read(b, { o, att });
    },
  });
  cases.push({
    op: 'attentionBackward', name: label, check: { relL2: 1e-5 },
    async run(b) {
      // Forward on the backend under test, so att and o are its own (as in training).
      const o = b.tensor(n), att = b.tensor(na), tq = up(b, q), tk = up(b, k), tv = up(b, v);
      b.ops.attention({ o, att, q: tq, k: tk, v: tv }, p);
      const dq = stale(b, n, 9), dk = stale(b, n, 10), dv = stale(b, n, 11), dR = stale(b, na, 12);
      b.ops.attentionBackward({ dq, dk, dv, scratch: dR, dout: up(b, randomArray(n, seed + 4, 1)), att, q: tq, k: tk, v: tv, o }, p);
      return read(b, { dq, dk, dv, dR });
    },
  });
}

// ---- rows: softmax, cross-entropy, losses ----
for (const [rows, cols, scale] of [[1, 2, 1], [3, 37, 3], [70, 37, 6], [5, 1000, 4], [3, 50257, 8], [300, 9, 20], [2, 65, 80]]) {
  const x = randomArray(rows * cols, rows * 3 + cols, scale);
  cases.push({
    op: 'softmax', name: `${rows}×${cols} ×${scale}`, check: { relL2: 1e-5 }, ...(cols > 10_000 ? { webgpuCheck: { relL2: 1e-4 } } : {}),
    async run(b) { const out = stale(b, rows * cols); b.ops.softmax(out, up(b, x), rows, cols); return read(b, { out }); },
  });
  cases.push({
    op: 'logSoftmax', name: `${rows}×${cols} ×${scale}`, check: { relL2: 1e-5 },
    async run(b) { const out = stale(b, rows * cols); b.ops.logSoftmax(out, up(b, x), rows, cols); return read(b, { out }); },
  });
  const targets = new Uint32Array(rows).map((_, r) => (r * 7919 + 3) % cols);
  targets[0] = cols - 1;
  const dce = randomArray(rows, cols, 1);
  cases.push({
    op: 'crossEntropy', name: `${rows}×${cols} ×${scale}`, check: { relL2: 1e-5 },
    async run(b) { const ce = stale(b, rows); b.ops.crossEntropy(ce, up(b, x), upU(b, targets), rows, cols); return read(b, { ce }); },
  });
  cases.push({
    op: 'crossEntropyBackward', name: `${rows}×${cols} ×${scale}`, check: { relL2: 1e-5 },
    async run(b) {
      const dl = stale(b, rows * cols);
      b.ops.crossEntropyBackward(dl, up(b, x), upU(b, targets), up(b, dce), rows, cols);
      return read(b, { dl });
    },
  });
}
for (const [B, L] of [[1, 1], [2, 7], [3, 37], [4, 300], [16, 128], [5, 20011], [700, 3]]) for (const mode of ['none', 'w', 'w+dw'] as const) {
  cases.push({
    op: 'weightedLoss', name: `B=${B} L=${L} ${mode}`, check: { relL2: 1e-5 },
    async run(b) {
      const n = B * L;
      const ce = up(b, randomArray(n, B * 31 + L, 3).map((v) => v + 4)), w = mode === 'none' ? null : up(b, randomArray(B, B + L, 1.5));
      const perToken = stale(b, n), loss = stale(b, 1), dce = stale(b, n), dw = mode === 'w+dw' ? stale(b, B) : null;
      b.ops.weightedLoss({ perToken, loss, dce, dw, ce, w }, B, L);
      return read(b, { perToken, loss, dce, ...(dw ? { dw } : {}) });
    },
  });
}
for (const [B, L, V] of [[1, 1, 2], [3, 24, 37], [2, 7, 300], [4, 5, 1000], [2, 3, 5000]]) {
  const rows = B * L, n = rows * V;
  const g = randomArray(n, B + V, 2), tgt = randomArray(n, L + V, 1), c = randomArray(B, 7, 1), dce = randomArray(rows, 8, 1);
  const logits = randomArray(n, 9, 5), F = randomArray(n, 10, 1), xs = randomArray(n, 11, 1), a = randomArray(B, 12, 1);
  const label = `B=${B} L=${L} V=${V}`;
  cases.push({
    op: 'distillStage1Loss', name: label, check: { relL2: 1e-5 },
    async run(b) { const raw = stale(b, rows); b.ops.distillStage1Loss(raw, up(b, g), up(b, tgt), up(b, c), rows, V, L); return read(b, { raw }); },
  });
  cases.push({
    op: 'distillStage1Backward', name: label, check: { relL2: 1e-5 },
    async run(b) { const dg = stale(b, n); b.ops.distillStage1Backward({ dg, g: up(b, g), tgt: up(b, tgt), c: up(b, c), dce: up(b, dce) }, rows, V, L); return read(b, { dg }); },
  });
  cases.push({
    op: 'distillStage2Loss', name: label, check: { relL2: 1e-5 },
    async run(b) {
      const raw = stale(b, rows), q = stale(b, n);
      b.ops.distillStage2Loss({ raw, q, logits: up(b, logits), F: up(b, F), xs: up(b, xs), a: up(b, a) }, rows, V, L);
      return read(b, { raw, q });
    },
  });
  cases.push({
    op: 'distillStage2Backward', name: label, check: { relL2: 1e-4 },
    async run(b) {
      const q = b.tensor(n);
      b.ops.softmax(q, up(b, logits), rows, V);
      const dl = stale(b, n);
      b.ops.distillStage2Backward({ dlogits: dl, q, F: up(b, F), xs: up(b, xs), a: up(b, a), dce: up(b, dce) }, rows, V, L);
      return read(b, { dl });
    },
  });
}
for (const [B, per] of [[1, 1], [3, 37 * 24], [5, 1001]]) {
  cases.push({
    op: 'lincomb3', name: `B=${B} perBatch=${per}; a zero coefficient skips its input`, check: { relL2: 1e-6 },
    async run(b) {
      const n = B * per;
      const y = randomArray(n, 2);
      y[0] = NaN; // the first item's y coefficient is 0: this NaN must not leak
      const c = randomArray(3 * B, 4);
      c[1] = 0;
      const out = stale(b, n);
      b.ops.lincomb3({ out, x: up(b, randomArray(n, 1)), y: up(b, y), z: up(b, randomArray(n, 3)), c: up(b, c) }, n, per);
      return read(b, { out });
    },
  });
}

// ---- noise, noising, dropout ----
const STREAMS: [number, number][] = [[0, 0], [1, 0], [0, 1], [12345, 7], [2 ** 32 + 5, 3], [2 ** 53 - 1, 2 ** 32 - 1], [0xdeadbeef, 123456789]];
for (const [seed, counter] of STREAMS) {
  cases.push({
    op: 'gaussian', name: `seed=${seed} counter=${counter}`, check: { relL2: 1e-6, elem: 1e-6 },
    async run(b) { const out = b.tensor(8192); b.ops.gaussian(out, 8192, seed, counter); return read(b, { out }); },
  });
}
cases.push({
  op: 'gaussian', name: 'n not a multiple of 4 (elements past n untouched), Scalars read as functions', check: { relL2: 1e-6, elem: 1e-6 },
  async run(b) {
    const out: Record<string, Tensor> = {};
    for (const n of [1, 2, 3, 5, 10, 1023]) {
      const t = up(b, new Float32Array(n + 6).fill(42));
      b.ops.gaussian(t, n, () => 99, () => 4);
      out[`n=${n}`] = t;
    }
    return read(b, out);
  },
});
cases.push({
  op: 'gaussian', name: 'tails of a long stream', check: { relL2: 1e-6, elem: 2e-6 },
  async run(b) { const out = b.tensor(4 * 65536); b.ops.gaussian(out, 4 * 65536, 777, 1); return read(b, { out }); },
});
for (const [B, L, V] of [[1, 1, 2], [3, 7, 37], [2, 24, 65], [2, 5, 1001]]) {
  cases.push({
    op: 'flmNoising', name: `B=${B} L=${L} V=${V}`, check: { relL2: 1e-6 },
    async run(b) {
      const n = B * L * V, targets = new Uint32Array(B * L).map((_, i) => (i * 31 + 5) % V);
      const x = stale(b, n);
      b.ops.flmNoising(x, up(b, randomArray(n, V + L, 1)), upU(b, targets), up(b, randomArray(B, 3, 0.5).map((v) => v + 0.5)), B, L, V);
      return read(b, { x });
    },
  });
}
for (const [n, p] of [[1, 0.1], [4097, 0.1], [1000, 0.5], [33, 0], [9, 1]] as const) {
  cases.push({
    op: 'dropout', name: `n=${n} p=${p}`, check: { elem: 1e-6, relL2: 1e-6 },
    async run(b) {
      const out = stale(b, n + 3);
      b.ops.dropout(out, up(b, randomArray(n, n, 2)), n, p, 1234, () => 5);
      return read(b, { out });
    },
  });
}

// ---- small elementwise ----
for (const [n, a, bb] of [[1, 2, 3], [257, 0.5, -1.25], [4099, -3, 0], [1000, 0, 2], [300_001, 1.5, 0.25]]) {
  cases.push({
    op: 'axpby', name: `n=${n} a=${a} b=${bb}`, check: { relL2: 1e-6 },
    async run(b) {
      const out = up(b, new Float32Array(n + 3).fill(9));
      b.ops.axpby(out, a, up(b, randomArray(n + 3, n, 2)), () => bb, up(b, randomArray(n + 3, n + 1, 3)), n);
      return read(b, { out });
    },
  });
}
for (const n of [1, 5, 4099]) {
  cases.push({
    op: 'fill', name: `n=${n}`, check: { exact: true },
    async run(b) { const out = stale(b, n + 3); b.ops.fill(out, -2.5, n); return read(b, { out }); },
  });
}

// ---- optimiser ----
for (const n of [0, 1, 7, 1000, 70001, 2_500_003]) {
  cases.push({
    op: 'globalNormSq', name: `n=${n}`, check: { relL2: 2e-6 },
    async run(b) {
      const out = stale(b, 1), sc = b.tensor(b.ops.gradNormScratchSize(n));
      b.ops.globalNormSq(out, sc, up(b, randomArray(n + 3, n + 17, 3)), n);
      return read(b, { out });
    },
  });
}
for (const n of [1, 7, 1000, 70001]) for (const [name, weightDecay, clip] of [['no clip', 0, 0], ['clip active', 0.1, 0.3], ['clip inactive', 0.01, 10]] as const) {
  cases.push({
    op: 'adamw', name: `n=${n} ${name}, 3 steps of one program (lr and step as Scalars)`, check: { relL2: 1e-6 },
    async run(b) {
      const size = n + 3;
      const p = up(b, randomArray(size, n + 1, 1)), m = b.tensor(size), v = b.tensor(size), g = b.tensor(size);
      const nsq = b.tensor(1), sc = b.tensor(b.ops.gradNormScratchSize(n));
      let step = 1;
      const prog = b.compile(() => {
        b.ops.globalNormSq(nsq, sc, g, n);
        b.ops.adamw({ params: p, grads: g, m, v, normSq: nsq }, n, {
          lr: () => [1e-3, 3e-3, 2e-3][step - 1], step: () => step, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, maxGradNorm: clip * 30,
        });
      });
      for (step = 1; step <= 3; step++) {
        b.write(g, randomArray(size, n * 7 + step, 2));
        prog.run();
      }
      return read(b, { p, m, v });
    },
  });
}
cases.push({
  op: 'adamw', name: 'a non-finite norm leaves params, m and v untouched', check: { exact: true },
  async run(b) {
    const n = 100, p = up(b, randomArray(n, 1, 1)), m = up(b, randomArray(n, 2, 1)), v = up(b, randomArray(n, 3, 1).map(Math.abs));
    const g = up(b, randomArray(n, 4, 1));
    b.ops.adamw({ params: p, grads: g, m, v, normSq: up(b, Float32Array.of(Infinity)) }, n, { lr: 1e-3, step: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1 });
    b.ops.adamw({ params: p, grads: g, m, v, normSq: up(b, Float32Array.of(NaN)) }, n, { lr: 1e-3, step: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 0 });
    return read(b, { p, m, v });
  },
});
for (const n of [1, 7, 70001]) {
  cases.push({
    op: 'ema', name: `n=${n}`, check: { relL2: 1e-6, abs: 1e-6 },
    async run(b) {
      const e = up(b, randomArray(n + 3, n, 1));
      b.ops.ema(e, up(b, randomArray(n + 3, n + 1, 1)), n, () => 0.999);
      b.ops.ema(e, up(b, randomArray(n + 3, n + 2, 1)), n, 0.5);
      return read(b, { e });
    },
  });
}

/** Worst violation of `check` by got vs want ('' when within). */
export function compare(got: Float32Array, want: Float32Array, c: Check): string {
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`;
  const problems: string[] = [];
  if (c.exact) {
    for (let i = 0; i < got.length; i++) {
      if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) return `[${i}] ${got[i]} ≠ ${want[i]} (exact)`;
    }
  }
  if (c.relL2 !== undefined || c.abs !== undefined || c.elem !== undefined) {
    let num = 0, den = 0, maxAbs = 0, maxElem = 0;
    for (let i = 0; i < got.length; i++) {
      if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
      const d = Math.abs(got[i] - want[i]);
      const dd = got[i] === want[i] ? 0 : d; // ±Infinity equal
      num += dd * dd; den += want[i] * want[i];
      maxAbs = Math.max(maxAbs, Number.isNaN(dd) ? Infinity : dd);
      maxElem = Math.max(maxElem, Number.isNaN(dd) ? Infinity : dd / Math.max(1, Math.abs(want[i])));
    }
    const rel = !Number.isFinite(num) ? Infinity : den === 0 || !Number.isFinite(den) ? Math.sqrt(num) : Math.sqrt(num / den);
    if (c.relL2 !== undefined && !(rel < c.relL2)) problems.push(`relL2 ${rel.toExponential(2)} ≥ ${c.relL2}`);
    if (c.abs !== undefined && !(maxAbs < c.abs)) problems.push(`max abs ${maxAbs.toExponential(2)} ≥ ${c.abs}`);
    if (c.elem !== undefined && !(maxElem <= c.elem)) problems.push(`max elementwise ${maxElem.toExponential(2)} > ${c.elem}`);
  }
  return problems.join('; ');
}
