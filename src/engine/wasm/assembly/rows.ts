/**
 * Row kernels over [rows, cols]: softmax, log-softmax, cross-entropy and the
 * distillation losses. Units are rows [lo, hi); each row is reduced in f64,
 * in column order, like the reference.
 */
import { ld, ldu, st } from './math';

/** log Σ exp(x) of one row, the reference's way (max, then Σ exp(x − max) in f64). */
function rowLogSumExp(x: usize, off: i32, cols: i32): f64 {
  let mx = -Infinity;
  for (let j = 0; j < cols; j++) { const v = <f64>ld(x, off + j); if (v > mx) mx = v; }
  let s: f64 = 0;
  for (let j = 0; j < cols; j++) s += Math.exp(<f64>ld(x, off + j) - mx);
  return mx + Math.log(s);
}

export function softmax(out: usize, x: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, lse = rowLogSumExp(x, o, cols);
    for (let j = 0; j < cols; j++) st(out, o + j, <f32>Math.exp(<f64>ld(x, o + j) - lse));
  }
}

export function logSoftmax(out: usize, x: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, lse = rowLogSumExp(x, o, cols);
    for (let j = 0; j < cols; j++) st(out, o + j, <f32>(<f64>ld(x, o + j) - lse));
  }
}

export function crossEntropy(ce: usize, logits: usize, targets: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, t = ldu(targets, r);
    // An out-of-range target is NaN, never a neighbour row's logit.
    st(ce, r, t < <u32>cols ? <f32>(rowLogSumExp(logits, o, cols) - <f64>ld(logits, o + <i32>t)) : NaN);
  }
}

export function crossEntropyBackward(dlogits: usize, logits: usize, targets: usize, dce: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, lse = rowLogSumExp(logits, o, cols);
    const t = <i32>ldu(targets, r), g = <f64>ld(dce, r);
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(<f64>ld(logits, o + j) - lse) - (j == t ? 1 : 0);
      st(dlogits, o + j, <f32>(p * g));
    }
  }
}

/**
 * perToken = exp(−w_b)·ce + w_b (or ce), loss[0] = mean, dce, dw (see the
 * reference). One unit: the mean is summed in token order.
 */
export function weightedLoss(perToken: usize, loss: usize, dce: usize, dw: usize, ce: usize, w: usize,
  hasW: bool, hasDw: bool, batch: i32, length: i32): void {
  const n = batch * length;
  let total: f64 = 0;
  for (let b = 0; b < batch; b++) {
    const wb: f64 = hasW ? <f64>ld(w, b) : 0;
    const e = Math.exp(-wb);
    let gw: f64 = 0;
    for (let l = 0; l < length; l++) {
      const i = b * length + l;
      const c = <f64>ld(ce, i);
      const v = hasW ? e * c + wb : c;
      st(perToken, i, <f32>v);
      total += v;
      st(dce, i, <f32>((hasW ? e : 1) / n));
      gw += (1 - e * c) / n;
    }
    if (hasDw && hasW) st(dw, b, <f32>gw);
  }
  st(loss, 0, <f32>(total / n));
}

/** raw[r] = Σ_j (tgt − c_b·g)², b = ⌊r/length⌋. */
export function distillStage1Loss(raw: usize, g: usize, tgt: usize, c: usize, cols: i32, length: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const cb = <f64>ld(c, r / length);
    let s: f64 = 0;
    for (let j = r * cols, e = j + cols; j < e; j++) { const d = <f64>ld(tgt, j) - cb * <f64>ld(g, j); s += d * d; }
    st(raw, r, <f32>s);
  }
}

/** dg = −2·c_b·dce[r]·(tgt − c_b·g). */
export function distillStage1Backward(dg: usize, g: usize, tgt: usize, c: usize, dce: usize, cols: i32, length: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const cb = <f64>ld(c, r / length), k = -2 * cb * <f64>ld(dce, r);
    for (let j = r * cols, e = j + cols; j < e; j++) st(dg, j, <f32>(k * (<f64>ld(tgt, j) - cb * <f64>ld(g, j))));
  }
}

/** q = softmax(logits); raw[r] = Σ_j (F − (x_s + a_b·(q − x_s)))². */
export function distillStage2Loss(raw: usize, q: usize, logits: usize, F: usize, xs: usize, a: usize,
  cols: i32, length: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, ab = <f64>ld(a, r / length);
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, <f64>ld(logits, o + j));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(<f64>ld(logits, o + j) - m);
    let e2: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const qj = Math.exp(<f64>ld(logits, o + j) - m) / s;
      st(q, o + j, <f32>qj);
      const x = <f64>ld(xs, o + j);
      const e = <f64>ld(F, o + j) - (x + ab * (qj - x));
      e2 += e * e;
    }
    st(raw, r, <f32>e2);
  }
}

/** dlogits = q ⊙ (dq − Σ q·dq), dq = −2·a_b·dce[r]·(F − F̂). */
export function distillStage2Backward(dlogits: usize, q: usize, F: usize, xs: usize, a: usize, dce: usize,
  cols: i32, length: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const o = r * cols, ab = <f64>ld(a, r / length), k = -2 * ab * <f64>ld(dce, r);
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const qj = <f64>ld(q, o + j), x = <f64>ld(xs, o + j);
      s += qj * (k * (<f64>ld(F, o + j) - (x + ab * (qj - x))));
    }
    for (let j = 0; j < cols; j++) {
      const qj = <f64>ld(q, o + j), x = <f64>ld(xs, o + j);
      st(dlogits, o + j, <f32>(qj * (k * (<f64>ld(F, o + j) - (x + ab * (qj - x))) - s)));
    }
  }
}
