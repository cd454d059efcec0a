/**
 * Shared math for the kernels. Scalar transcendental functions run in f64
 * (AssemblyScript's `Math`, a port of musl), like the TypeScript reference,
 * so elementwise kernels agree with it to the last bit or one ulp. The hot
 * loops (attention, GELU, softmax and cross-entropy, Box–Muller) use the
 * f32x4 versions below: Cephes-style polynomials with about 1–2 ulp of error.
 * Clamps use pmin/pmax (one instruction each in V8; the NaN-propagating
 * min/max are lowered to several).
 */

/** Byte address of element i of an f32/u32 tensor at p. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// @ts-ignore: decorator
@inline export function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline export function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline export function ldu(p: usize, i: i32): u32 {
  return load<u32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline export function ld64(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline export function st64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

// @ts-ignore: decorator
@inline export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** erf with |error| < 1.2e-7 (the reference's Numerical Recipes erfc Chebyshev fit), in f64. */
export function erf(x: f64): f64 {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

/** Sum of the four lanes, in lane order ((l0 + l1) + l2) + l3. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

// @ts-ignore: decorator
@inline
/** e^x on four lanes: Cody–Waite reduction by ln 2 and a degree-5 polynomial (Cephes expf), ≈1 ulp; NaN stays NaN. */
export function expv(x: v128): v128 {
  // clamped so that 2^round(x·log2 e) stays a normal f32 (the result is at most ≈2.4e38, never ∞)
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.33654)), f32x4.splat(88.3762626647949)); // pmin/pmax: one instruction each, NaN kept (it is the first operand)
  // n = round(x·log2 e) by the 1.5·2^23 shift (ties to even, as f32x4.nearest), both as a float and as an integer
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912));
  const fx = f32x4.sub(t, f32x4.splat(12582912));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(r, r);
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1));
  const e = i32x4.shl(i32x4.add(i32x4.sub(t, i32x4.splat(0x4b400000)), i32x4.splat(127)), 23);
  return f32x4.mul(y, e);
}

/** The odd polynomial of tanh for |x| < 0.625 (Cephes tanhf). */
// @ts-ignore: decorator
@inline function tanhSmall(x: v128): v128 {
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  return f32x4.add(x, f32x4.mul(f32x4.mul(x, z), p));
}

// @ts-ignore: decorator
@inline
/**
 * tanh on four lanes: the odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1)
 * above; ≈2 ulp. Each lane's result depends on that lane only (the exp path is
 * skipped when no lane needs it).
 */
export function tanhv(x: v128): v128 {
  const small = tanhSmall(x);
  const isSmall = f32x4.lt(f32x4.abs(x), f32x4.splat(0.625));
  if (i32x4.all_true(isSmall)) return small;
  const e = expv(f32x4.add(f32x4.abs(x), f32x4.abs(x)));
  const big = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  // copy the sign of x onto big
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, isSmall);
}

// @ts-ignore: decorator
@inline
/**
 * 1 − tanh²(x) on four lanes: 1 − t² from the polynomial below |x| = 0.625
 * (t² ≤ 0.31: no cancellation), 4t/(1 + t)² with t = e^{−2|x|} above, which
 * stays accurate where tanh saturates. Per-lane like tanhv.
 */
export function sech2v(x: v128): v128 {
  const th = tanhSmall(x);
  const small = f32x4.sub(f32x4.splat(1), f32x4.mul(th, th));
  const isSmall = f32x4.lt(f32x4.abs(x), f32x4.splat(0.625));
  if (i32x4.all_true(isSmall)) return small;
  const t = expv(f32x4.mul(f32x4.abs(x), f32x4.splat(-2)));
  const d = f32x4.add(f32x4.splat(1), t);
  return v128.bitselect(small, f32x4.div(f32x4.mul(f32x4.splat(4), t), f32x4.mul(d, d)), isSmall);
}

/** ln(1 + m) + e·ln 2 for m in [√½ − 1, √2 − 1] (Cephes logf's polynomial, ln 2 split in two). */
// @ts-ignore: decorator
@inline function logPoly(m: v128, e: v128): v128 {
  const z = f32x4.mul(m, m);
  let p = f32x4.splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, m), f32x4.splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(p, m), z);
  y = f32x4.add(y, f32x4.mul(e, f32x4.splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(e, f32x4.splat(0.693359375)));
}

// @ts-ignore: decorator
@inline
/**
 * ln(n/2^25) on four lanes of odd integers 0 < n < 2^25 — the uniforms
 * (2N + 1)/2^25 of the Philox stream, which have 25 significant bits, so they
 * are not rounded to f32 first: below ½ the uniform is exact in f32 and goes
 * through frexp; above, the reduced argument is formed from the integer
 * (u − 1 or 2u − 1, exact), so ln u stays accurate near 1. ≈1 ulp.
 */
export function logUnitV(n: v128): v128 {
  // n < 2^24: u = n·2^-25 exactly; frexp: u = m·2^e, m in [½, 1).
  const u = f32x4.mul(f32x4.convert_i32x4_s(n), f32x4.splat(2.98023223876953125e-8));
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(u, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(u, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  const lowM = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(lowM, f32x4.splat(1)));
  m = f32x4.sub(f32x4.add(m, v128.and(lowM, m)), f32x4.splat(1));
  const small = logPoly(m, e);
  // n ≥ 2^24 (u ≥ ½): u < √½ → e = −1, m = 2u − 1 = (n − 2^24)/2^24; else e = 0, m = u − 1 = (n − 2^25)/2^25.
  const low = i32x4.lt_s(n, i32x4.splat(23726567));
  const mLow = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(n, i32x4.splat(16777216))), f32x4.splat(5.9604644775390625e-8));
  const mHigh = f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(n, i32x4.splat(33554432))), f32x4.splat(2.98023223876953125e-8));
  const big = logPoly(v128.bitselect(mLow, mHigh, low), v128.and(low, f32x4.splat(-1)));
  return v128.bitselect(big, small, i32x4.ge_s(n, i32x4.splat(16777216)));
}

/** Cephes sinf/cosf polynomials on [−π/4, π/4]. */
// @ts-ignore: decorator
@inline export function sinSmall(r: v128, z: v128): v128 {
  let p = f32x4.splat(-1.9515295891e-4);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(8.3321608736e-3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-1.6666654611e-1));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, z), p));
}

// @ts-ignore: decorator
@inline export function cosSmall(z: v128): v128 {
  let p = f32x4.splat(2.443315711809948e-5);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-1.388731625493765e-3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(4.166664568298827e-2));
  return f32x4.add(f32x4.sub(f32x4.splat(1), f32x4.mul(z, f32x4.splat(0.5))), f32x4.mul(f32x4.mul(z, z), p));
}
