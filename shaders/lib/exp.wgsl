// Accurate exp and sigmoid for f32 kernels that must not depend on a
// driver's built-ins (SwiftShader's exp is ~1e-6 relative and its tanh can
// return NaN). Wrappers prepend this file to their kernel's source.

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.4286068202862268e-06;

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
