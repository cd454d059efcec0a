// SiLU and its gradient, elementwise over n floats.
//
// silu_forward:  out[i] = x·σ(x)
// silu_backward: dx[i] (+)= dy·σ(x)·(1 + x·(1 − σ(x)))   (ACCUMULATE: +=)
//
// One thread per element, 256 per workgroup, the 1-D index spread over a 2-D
// grid (x + y·nx) so n may exceed 65535·256. σ is evaluated from e = exp(−|x|)
// so nothing overflows for large |x|, and 1 − σ is formed without
// cancellation. exp uses a Cody–Waite reduction and a Taylor polynomial
// (≈2e-7 relative on every driver; SwiftShader's built-in is ≈1e-6).

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

const WG: u32 = 256u;
const LOG2E: f32 = 1.4426950408889634;
// ln 2 = LN2_HI + LN2_LO; LN2_HI has 16 significant bits, so k·LN2_HI is exact for |k| < 256.
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

fn index(wg: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wg.x + wg.y * nwg.x) * WG + lid.x;
}

@compute @workgroup_size(256)
fn silu_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = index(wg, nwg, lid);
  if (i >= p.n) { return; }
  let v = x[i];
  out[i] = v * sigmoid2(v).x;
}

@compute @workgroup_size(256)
fn silu_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = index(wg, nwg, lid);
  if (i >= p.n) { return; }
  let v = bx[i];
  let s = sigmoid2(v);
  var g = dy[i] * s.x * (1.0 + v * s.y);
  if (ACCUMULATE) { g += dx[i]; }
  dx[i] = g;
}
