/**
 * Shared math for the kernels. Scalar transcendental functions run in f64
 * (AssemblyScript's `Math`, a port of musl), like the TypeScript reference,
 * so elementwise kernels agree with it to the last bit or one ulp. The hot
 * loops (attention, GELU) use the f32x4 versions below: Cephes-style
 * polynomials with about 1–2 ulp of error.
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
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.33654)), f32x4.splat(88.3762626647949));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
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
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
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
