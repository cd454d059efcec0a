/**
 * Elementwise kernels. Units are element ranges [lo, hi) (GELU tanh: groups
 * of 4 elements): any split gives the same bits. Arithmetic is f64 like the
 * reference (one rounding to f32 at the store), so these agree with it
 * exactly or to one ulp of a transcendental — except GELU (tanh), the hot
 * one, in f32x4.
 */
import { erf, expv, ld, ldu, st } from './math';

const SQRT_2_OVER_PI: f64 = Math.sqrt(2 / Math.PI);
const INV_SQRT_2: f64 = Math.SQRT1_2;
const INV_SQRT_2PI: f64 = 1 / Math.sqrt(2 * Math.PI);
const TIME_MAX_PERIOD: f64 = 10000;

export function silu(out: usize, x: usize, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const v = <f64>ld(x, i);
    st(out, i, <f32>(v / (1 + Math.exp(-v))));
  }
}

export function siluBackward(dx: usize, x: usize, dy: usize, accumulate: bool, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const v = <f64>ld(x, i);
    const s = 1 / (1 + Math.exp(-v));
    const g = <f64>ld(dy, i) * s * (1 + v * (1 - s));
    st(dx, i, <f32>(accumulate ? <f64>ld(dx, i) + g : g));
  }
}

/**
 * Four elements from p (i..i+3, those below n; the others 0): the tail of a
 * SIMD loop goes through the same lanes as the body, so an element's bits do
 * not depend on where a unit range starts or ends.
 */
// @ts-ignore: decorator
@inline function load4(p: usize, i: i32, n: i32): v128 {
  if (i + 4 <= n) return v128.load(p + (<usize>i << 2));
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, ld(p, i));
  if (i + 1 < n) v = f32x4.replace_lane(v, 1, ld(p, i + 1));
  if (i + 2 < n) v = f32x4.replace_lane(v, 2, ld(p, i + 2));
  return v;
}

// @ts-ignore: decorator
@inline function store4(p: usize, i: i32, n: i32, v: v128): void {
  if (i + 4 <= n) { v128.store(p + (<usize>i << 2), v); return; }
  st(p, i, f32x4.extract_lane(v, 0));
  if (i + 1 < n) st(p, i + 1, f32x4.extract_lane(v, 1));
  if (i + 2 < n) st(p, i + 2, f32x4.extract_lane(v, 2));
}

// GELU, tanh form, in f32x4, through the logistic: ½(1 + tanh u) = σ(2u), so
//   y = x·σ(2u) = x/(1 + e),  e = exp(−2u),  u = √(2/π)(x + 0.044715x³),
//   y' = σ(2u) + ½x·(1 − tanh²u)·u' = s + 2x·s(1 − s)·u',  s = 1/(1 + e),  s(1 − s) = e·s²:
// one exponential and no cancellation on either side. u is taken from x clamped to ±12 (beyond, σ is
// 0 or 1 in f32 and x³ would overflow); the numerator of y is max(x, −12), so y → 0 for x → −∞ and y = x for x > 12.
const GELU_CLAMP: f32 = 12;

/** approx: 0 = tanh (f32x4; units: groups of 4 elements), 1 = erf (f64; units: elements). */
export function gelu(out: usize, x: usize, approx: i32, n: i32, lo: i32, hi: i32): void {
  if (approx == 0) {
    const m2c = f32x4.splat(<f32>(-2 * SQRT_2_OVER_PI)), k = f32x4.splat(0.044715), one = f32x4.splat(1);
    const cl = f32x4.splat(GELU_CLAMP), ncl = f32x4.splat(-GELU_CLAMP);
    for (let g = lo; g < hi; g++) {
      const i = g * 4;
      const v = load4(x, i, n);
      const xc = f32x4.pmin(f32x4.pmax(v, ncl), cl);
      const e = expv(f32x4.mul(m2c, f32x4.add(xc, f32x4.mul(k, f32x4.mul(xc, f32x4.mul(xc, xc))))));
      store4(out, i, n, f32x4.div(f32x4.pmax(v, ncl), f32x4.add(one, e)));
    }
  } else {
    for (let i = lo; i < hi; i++) {
      const v = <f64>ld(x, i);
      st(out, i, <f32>(0.5 * v * (1 + erf(v * INV_SQRT_2))));
    }
  }
}

/** Units as gelu's. */
export function geluBackward(dx: usize, x: usize, dy: usize, approx: i32, accumulate: bool, n: i32, lo: i32, hi: i32): void {
  if (approx == 0) {
    const m2c = f32x4.splat(<f32>(-2 * SQRT_2_OVER_PI)), k = f32x4.splat(0.044715);
    const c2 = f32x4.splat(<f32>(2 * SQRT_2_OVER_PI)), k3 = f32x4.splat(3 * 0.044715), one = f32x4.splat(1);
    const cl = f32x4.splat(GELU_CLAMP), ncl = f32x4.splat(-GELU_CLAMP);
    for (let gi = lo; gi < hi; gi++) {
      const i = gi * 4;
      const xc = f32x4.pmin(f32x4.pmax(load4(x, i, n), ncl), cl);
      const x2 = f32x4.mul(xc, xc);
      const e = expv(f32x4.mul(m2c, f32x4.add(xc, f32x4.mul(k, f32x4.mul(xc, x2)))));
      const s = f32x4.div(one, f32x4.add(one, e));
      // 2x·s(1 − s)·u' with 2u' = 2√(2/π)(1 + 3·0.044715x²)
      const d = f32x4.add(s, f32x4.mul(f32x4.mul(xc, f32x4.mul(e, f32x4.mul(s, s))), f32x4.mul(c2, f32x4.add(one, f32x4.mul(k3, x2)))));
      let g = f32x4.mul(load4(dy, i, n), d);
      if (accumulate) g = f32x4.add(load4(dx, i, n), g);
      store4(dx, i, n, g);
    }
  } else {
    for (let i = lo; i < hi; i++) {
      const v = <f64>ld(x, i);
      const d = 0.5 * (1 + erf(v * INV_SQRT_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      const g = <f64>ld(dy, i) * d;
      st(dx, i, <f32>(accumulate ? <f64>ld(dx, i) + g : g));
    }
  }
}

/** Units: batch rows [lo, hi) of out[B, dim]. */
export function timeEmbedding(out: usize, t: usize, dim: i32, lo: i32, hi: i32): void {
  const half = dim >> 1;
  const lnPeriod = Math.log(TIME_MAX_PERIOD);
  for (let b = lo; b < hi; b++) {
    const tb = <f64>ld(t, b);
    const row = b * dim;
    for (let i = 0; i < half; i++) {
      const freq = Math.exp(-lnPeriod * i / half);
      const arg = tb * freq;
      st(out, row + i, <f32>Math.cos(arg));
      st(out, row + half + i, <f32>Math.sin(arg));
    }
    if (dim & 1) st(out, row + dim - 1, 0);
  }
}

export function axpby(out: usize, a: f64, x: usize, b: f64, y: usize, lo: i32, hi: i32): void {
  if (b == 0) {
    for (let i = lo; i < hi; i++) st(out, i, <f32>(a * <f64>ld(x, i)));
  } else {
    for (let i = lo; i < hi; i++) st(out, i, <f32>(a * <f64>ld(x, i) + b * <f64>ld(y, i)));
  }
}

export function fill(out: usize, value: f32, lo: i32, hi: i32): void {
  const v = f32x4.splat(value);
  let i = lo;
  for (; i + 4 <= hi; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < hi; i++) st(out, i, value);
}

/** out = c[b,0]·x + c[b,1]·y + c[b,2]·z with b = ⌊i/perBatch⌋; zero coefficients skip their input. */
export function lincomb3(out: usize, x: usize, y: usize, z: usize, c: usize, perBatch: i32, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const b = i / perBatch;
    const cx = <f64>ld(c, 3 * b), cy = <f64>ld(c, 3 * b + 1), cz = <f64>ld(c, 3 * b + 2);
    let v: f64 = 0;
    if (cx != 0) v += cx * <f64>ld(x, i);
    if (cy != 0) v += cy * <f64>ld(y, i);
    if (cz != 0) v += cz * <f64>ld(z, i);
    st(out, i, <f32>v);
  }
}

/** Units: rows [lo, hi) of [B·L, V]: x = (1 − γ_b)·ε + γ_b·onehot(target). */
export function flmNoising(x: usize, eps: usize, targets: usize, gamma: usize, length: i32, vocab: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const g = <f64>ld(gamma, r / length);
    const tgt = <i32>ldu(targets, r);
    const row = r * vocab;
    for (let v = 0; v < vocab; v++) st(x, row + v, <f32>((1 - g) * <f64>ld(eps, row + v) + (v == tgt ? g : 0)));
  }
}

export function ema(e: usize, p: usize, decay: f64, lo: i32, hi: i32): void {
  const c = 1 - decay;
  for (let i = lo; i < hi; i++) st(e, i, <f32>(decay * <f64>ld(e, i) + c * <f64>ld(p, i)));
}

/** Elements per partial sum of the squared norm (the unit of globalNormSqPartials). */
export const NORM_CHUNK = 16384;

/** Units: chunks [lo, hi) of NORM_CHUNK elements; partials[u] (f64) = Σ x² over chunk u. */
export function globalNormSqPartials(partials: usize, x: usize, n: i32, lo: i32, hi: i32): void {
  for (let u = lo; u < hi; u++) {
    const i0 = u * NORM_CHUNK, i1 = min(n, i0 + NORM_CHUNK);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      s0 = f64x2.add(s0, f64x2.mul(a, a));
      s1 = f64x2.add(s1, f64x2.mul(b, b));
    }
    let s = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) + (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
    for (; i < i1; i++) { const v = <f64>ld(x, i); s += v * v; }
    store<f64>(partials + (<usize>u << 3), s);
  }
}

/** out[0] = Σ partials, in order (the one sequential step). */
export function globalNormSqFinish(out: usize, partials: usize, chunks: i32): void {
  let s: f64 = 0;
  for (let u = 0; u < chunks; u++) s += load<f64>(partials + (<usize>u << 3));
  st(out, 0, <f32>s);
}

/**
 * AdamW with global-norm clipping (see the reference): the clip factor comes
 * from normSq[0] in memory; a non-finite norm leaves everything untouched.
 */
export function adamw(params: usize, grads: usize, m: usize, v: usize, normSq: usize,
  decay: f64, stepSize: f64, bc2Sqrt: f64, beta1: f64, beta2: f64, eps: f64, maxGradNorm: f64, lo: i32, hi: i32): void {
  const nsq = <f64>ld(normSq, 0);
  if (!isFinite(nsq)) return;
  const coef: f64 = maxGradNorm > 0 ? min(1, maxGradNorm / (Math.sqrt(nsq) + 1e-6)) : 1;
  for (let i = lo; i < hi; i++) {
    const g = <f64>ld(grads, i) * coef;
    const mi = beta1 * <f64>ld(m, i) + (1 - beta1) * g;
    const vi = beta2 * <f64>ld(v, i) + (1 - beta2) * g * g;
    st(m, i, <f32>mi);
    st(v, i, <f32>vi);
    st(params, i, <f32>(<f64>ld(params, i) * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps)));
  }
}
