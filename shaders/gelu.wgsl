// GELU and its gradient, elementwise over n floats; ERF selects the exact
// form, otherwise the tanh approximation.
//
// gelu_forward:  out[i] = gelu(x)
// gelu_backward: dx[i] (+)= dy·gelu'(x)   (ACCUMULATE: +=)
//
// tanh form: 0.5·(1 + tanh(u)) = σ(2u), u = √(2/π)(x + 0.044715x³), so
//   gelu = x·σ(2u),  gelu' = σ(2u) + 2x·σ(2u)(1 − σ(2u))·du/dx,
// which needs no tanh (the built-in returns NaN for large |u| on some drivers)
// and never overflows. erf form: Φ(x) = 0.5(1 + erf(x/√2)) comes straight from
// erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7, the reference's
// erf) as 1 − erfc/2 or erfc/2, so negative x loses nothing to cancellation:
//   gelu = x·Φ(x),  gelu' = Φ(x) + x·φ(x).
//
// One thread per element (flat_index, lib/grid.wgsl).
//
// exp_acc() and sigmoid2() come from shaders/lib/math.wgsl, prepended by the wrapper.

override ERF: bool = false;
override ACCUMULATE: bool = false;

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward bindings
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// ---- backward bindings (a separate entry point; the two never share a pipeline)
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const INV_SQRT_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

/** erfc(z) for z ≥ 0 (0 from z = 9 on, where erfc < 5e-37). */
fn erfc_pos(zin: f32) -> f32 {
  if (zin >= 9.0) { return 0.0; }
  let z = zin;
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp_acc(poly - z * z);
}

/** Φ(v) = 0.5·(1 + erf(v/√2)). */
fn phi_cdf(v: f32) -> f32 {
  let r = 0.5 * erfc_pos(abs(v) * INV_SQRT_2);
  if (v >= 0.0) { return 1.0 - r; }
  return r;
}

/** (σ(2u), 1 − σ(2u), du/dx) of the tanh form; the cubic is clamped where σ is already saturated. */
fn tanh_form(v: f32) -> vec3<f32> {
  let c = clamp(v, -20.0, 20.0);
  let u = SQRT_2_OVER_PI * (c + 0.044715 * c * c * c);
  let du = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * c * c);
  let s = sigmoid2(2.0 * u);
  return vec3<f32>(s, du);
}

fn gelu(v: f32) -> f32 {
  if (ERF) { return v * phi_cdf(v); }
  return v * tanh_form(v).x;
}

fn gelu_grad(v: f32) -> f32 {
  if (ERF) {
    let c = clamp(v, -12.0, 12.0);
    return phi_cdf(v) + c * INV_SQRT_2PI * exp_acc(-0.5 * c * c);
  }
  let s = tanh_form(v);
  let c = clamp(v, -20.0, 20.0);
  return s.x + 2.0 * c * s.x * s.y * s.z;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gelu_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  out[i] = gelu(x[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gelu_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  var g = dy[i] * gelu_grad(bx[i]);
  if (ACCUMULATE) { g += dx[i]; }
  dx[i] = g;
}
