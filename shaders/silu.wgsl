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
//
// exp_acc() and sigmoid2() come from shaders/lib/exp.wgsl, prepended by the wrapper.

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
// ln 2 = LN2_HI + LN2_LO; LN2_HI has 16 significant bits, so k·LN2_HI is exact for |k| < 256.

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
