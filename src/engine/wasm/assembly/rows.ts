/**
 * Row kernels over [rows, cols]: softmax, log-softmax, cross-entropy and the
 * distillation losses. Units are rows [lo, hi). Softmax and cross-entropy
 * run in f32x4 (below); the distillation losses in f64 scalar loops, in
 * column order, like the reference.
 */
import { expv, hmax, ld, ldu, st } from './math';

// Softmax and cross-entropy rows in f32x4: the max, then Σ exp(x − max) with
// f32x4 exponentials summed in f64 (two f64x2 accumulators, lanes in a fixed
// order), lse = max + ln Σ in f64. Probabilities are exp((x − lse_hi) − lse_lo)
// with lse split into two floats, log-probabilities x − lse in f64x2.
// Lanes run from the row's first column, so a row's bits never depend on the
// unit range it falls in.

/** Lanes j..j+3 of a row of n (those past n: fill). */
// @ts-ignore: decorator
@inline function load4f(p: usize, j: i32, n: i32, fill: f32): v128 {
  if (j + 4 <= n) return v128.load(p + (<usize>j << 2));
  let v = f32x4.splat(fill);
  v = f32x4.replace_lane(v, 0, ld(p, j));
  if (j + 1 < n) v = f32x4.replace_lane(v, 1, ld(p, j + 1));
  if (j + 2 < n) v = f32x4.replace_lane(v, 2, ld(p, j + 2));
  return v;
}

// @ts-ignore: decorator
@inline function store4(p: usize, j: i32, n: i32, v: v128): void {
  if (j + 4 <= n) { v128.store(p + (<usize>j << 2), v); return; }
  st(p, j, f32x4.extract_lane(v, 0));
  if (j + 1 < n) st(p, j + 1, f32x4.extract_lane(v, 1));
  if (j + 2 < n) st(p, j + 2, f32x4.extract_lane(v, 2));
}

/** Lanes j..j+3 below n: all ones; the others zero. */
// @ts-ignore: decorator
@inline function below(j: i32, n: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), i32x4.splat(n));
}

/** log Σ exp(row) of the row at p (cols values). */
function rowLogSumExp(p: usize, cols: i32): f64 {
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < cols; j += 4) mv = f32x4.pmax(mv, load4f(p, j, cols, -Infinity));
  const mx = hmax(mv);
  const mxv = f32x4.splat(mx);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  for (let j = 0; j < cols; j += 4) {
    let e = expv(f32x4.sub(load4f(p, j, cols, -Infinity), mxv));
    if (j + 4 > cols) e = v128.and(e, below(j, cols));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  const s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s1, 0)) + (f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 1));
  return <f64>mx + Math.log(s);
}

/** exp(x − lse) on four lanes, lse as hi + lo floats. */
// @ts-ignore: decorator
@inline function probs(x: v128, hi: v128, lo: v128): v128 {
  return expv(f32x4.sub(f32x4.sub(x, hi), lo));
}

export function softmax(out: usize, x: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const px = x + (<usize>(r * cols) << 2), po = out + (<usize>(r * cols) << 2);
    const lse = rowLogSumExp(px, cols), h = <f32>lse;
    const hv = f32x4.splat(h), lv = f32x4.splat(<f32>(lse - <f64>h));
    for (let j = 0; j < cols; j += 4) store4(po, j, cols, probs(load4f(px, j, cols, 0), hv, lv));
  }
}

export function logSoftmax(out: usize, x: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const px = x + (<usize>(r * cols) << 2), po = out + (<usize>(r * cols) << 2);
    const lse = f64x2.splat(rowLogSumExp(px, cols));
    for (let j = 0; j < cols; j += 4) {
      const v = load4f(px, j, cols, 0);
      const a = f64x2.sub(f64x2.promote_low_f32x4(v), lse);
      const b = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), lse);
      store4(po, j, cols, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
    }
  }
}

export function crossEntropy(ce: usize, logits: usize, targets: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const px = logits + (<usize>(r * cols) << 2), t = ldu(targets, r);
    // An out-of-range target is NaN, never a neighbour row's logit.
    st(ce, r, t < <u32>cols ? <f32>(rowLogSumExp(px, cols) - <f64>ld(px, <i32>t)) : NaN);
  }
}

/** dlogits = (softmax − onehot(target))·dce[r]. */
export function crossEntropyBackward(dlogits: usize, logits: usize, targets: usize, dce: usize, cols: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const px = logits + (<usize>(r * cols) << 2), po = dlogits + (<usize>(r * cols) << 2);
    const lse = rowLogSumExp(px, cols), h = <f32>lse;
    const hv = f32x4.splat(h), lv = f32x4.splat(<f32>(lse - <f64>h));
    const tv = i32x4.splat(<i32>ldu(targets, r)), g = f32x4.splat(ld(dce, r));
    for (let j = 0; j < cols; j += 4) {
      const hot = v128.and(i32x4.eq(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), tv), f32x4.splat(1));
      store4(po, j, cols, f32x4.mul(f32x4.sub(probs(load4f(px, j, cols, 0), hv, lv), hot), g));
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
