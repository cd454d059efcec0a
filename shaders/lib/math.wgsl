// Accurate elementary functions for f32 kernels that must not depend on a
// driver's built-ins (SwiftShader's exp is ~1e-6 relative, its sin/cos ~2e-4
// absolute, and its tanh can return NaN). Wrappers prepend this file (see
// src/engine/kernels/kernel.ts).

const LOG2E: f32 = 1.4426950408889634;
// ln 2 = LN2_HI + LN2_LO; LN2_HI has 16 significant bits, so k·LN2_HI is exact for |k| < 256.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.4286068202862268e-06;
// π/2 = HALF_PI_C1 + C2 + C3 (Cody–Waite); C1 has 8 significant bits so n·C1 is exact for n < 2^16.
const HALF_PI_C1: f32 = 1.5703125;
const HALF_PI_C2: f32 = 0.0004838267923332751;
const HALF_PI_C3: f32 = 2.5632829192545614e-12;
const TWO_OVER_PI: f32 = 0.6366197723675814;

/** e^v for v ∈ [−87, 88]: v = k·ln2 + r, |r| ≤ ln2/2, e^r by its degree-7 Taylor polynomial. */
fn exp_acc(v: f32) -> f32 {
  let k = round(v * LOG2E);
  let r = (v - k * LN2_HI) - k * LN2_LO;
  let q = 1.0 + r * (1.0 + r * (0.5 + r * (0.16666666666666666 + r * (0.041666666666666664 +
    r * (0.008333333333333333 + r * (0.001388888888888889 + r * 0.0001984126984126984))))));
  return ldexp(q, i32(k));
}

/** (σ(v), 1 − σ(v)), both without overflow or cancellation (exactly 1 and 0 once e^−|v| < 2e-35). */
fn sigmoid2(v: f32) -> vec2<f32> {
  let e = select(exp_acc(-min(abs(v), 80.0)), 0.0, abs(v) > 80.0);
  let a = 1.0 / (1.0 + e);
  let b = e * a;
  if (v >= 0.0) { return vec2<f32>(a, b); }
  return vec2<f32>(b, a);
}

/** tanh(x) for |x| < 1/4: its odd Taylor polynomial (truncation < 1e-8). */
fn tanh_taylor(x: f32) -> f32 {
  let x2 = x * x;
  return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
}

/**
 * tanh to ~1e-7 on every driver (built-in tanh may be a fast approximation:
 * SwiftShader's is ~1e-6 off, and some fast-math paths are worse):
 * tanh_taylor for |x| < 1/4, else (1 − e)/(1 + e) with e = exp(−2|x|), which
 * has no cancellation there.
 */
fn tanh_acc(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.25) { return tanh_taylor(x); }
  let e = exp(-2.0 * min(a, 20.0));
  return sign(x) * ((1.0 - e) / (1.0 + e));
}

/**
 * 1 − tanh²(x) = sech²(x) to ~1e-7 relative on every driver: 1 − t² from
 * tanh_taylor for |x| < 1/4, else 4e/(1 + e)² with e = exp(−2|x|), free of
 * the cancellation 1 − t² suffers once tanh saturates.
 */
fn sech2_acc(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.25) {
    let t = tanh_taylor(x);
    return 1.0 - t * t;
  }
  let e = exp(-2.0 * min(a, 40.0));
  let d = 1.0 + e;
  return 4.0 * e / (d * d);
}

/**
 * (cos, sin) of r + q·π/2 for a reduced r ∈ [−π/4, π/4] and a quadrant q
 * (only q mod 4 matters): Taylor polynomials of r (truncation < 2e-9), so
 * about 1e-7 absolute on every driver (built-in sin/cos are only required to
 * be accurate to 2^-11). Each caller reduces its own angle to (r, q).
 */
fn cos_sin_quadrant(r: f32, q: u32) -> vec2<f32> {
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  switch (q & 3u) {
    case 0u: { return vec2<f32>(c, s); }
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}
