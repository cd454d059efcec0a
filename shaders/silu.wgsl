// SiLU and its gradient, elementwise over n floats.
//
// silu_forward:  out[i] = x·σ(x)
// silu_backward: dx[i] (+)= dy·σ(x)·(1 + x·(1 − σ(x)))   (ACCUMULATE: +=)
//
// One thread per element (flat_index over the 2-D grid, lib/grid.wgsl, so n
// may exceed 65535 workgroups). σ is evaluated from e = exp(−|x|)
// so nothing overflows for large |x|, and 1 − σ is formed without
// cancellation. exp uses a Cody–Waite reduction and a Taylor polynomial
// (≈2e-7 relative on every driver; SwiftShader's built-in is ≈1e-6).
//
// exp_acc() and sigmoid2() come from shaders/lib/math.wgsl, prepended by the wrapper.

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn silu_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  let v = x[i];
  out[i] = v * sigmoid2(v).x;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn silu_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  let v = bx[i];
  let s = sigmoid2(v);
  var g = dy[i] * s.x * (1.0 + v * s.y);
  if (ACCUMULATE) { g += dx[i]; }
  dx[i] = g;
}
