/**
 * Elementwise kernels. Units are element ranges [lo, hi): any split gives the
 * same bits. Arithmetic is f64 like the reference (one rounding to f32 at the
 * store), so these agree with it exactly or to one ulp of a transcendental.
 */
import { erf, ld, ldu, st } from './math';

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

/** approx: 0 = tanh, 1 = erf. */
export function gelu(out: usize, x: usize, approx: i32, lo: i32, hi: i32): void {
  if (approx == 0) {
    for (let i = lo; i < hi; i++) {
      const v = <f64>ld(x, i);
      st(out, i, <f32>(0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)))));
    }
  } else {
    for (let i = lo; i < hi; i++) {
      const v = <f64>ld(x, i);
      st(out, i, <f32>(0.5 * v * (1 + erf(v * INV_SQRT_2))));
    }
  }
}

export function geluBackward(dx: usize, x: usize, dy: usize, approx: i32, accumulate: bool, lo: i32, hi: i32): void {
  for (let i = lo; i < hi; i++) {
    const v = <f64>ld(x, i);
    let d: f64;
    if (approx == 0) {
      const u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
      const th = Math.tanh(u);
      const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
      d = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du;
    } else {
      d = 0.5 * (1 + erf(v * INV_SQRT_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    }
    const g = <f64>ld(dy, i) * d;
    st(dx, i, <f32>(accumulate ? <f64>ld(dx, i) + g : g));
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
