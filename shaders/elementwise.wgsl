// Elementwise helpers over n floats, one thread per element (flat_index,
// lib/grid.wgsl).
//
// elementwise_axpby: out[i] = a·x[i] + b·y[i], or a·x[i] when b == 0 (y is
//                    then not read, so NaN/Inf in it cannot leak; it is still
//                    bound and may alias x).
// elementwise_fill:  out[i] = a.

struct Params { n: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// ---- elementwise_axpby bindings
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// ---- elementwise_fill binding (a separate entry point)
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn elementwise_axpby(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  var v = p.a * x[i];
  if (p.b != 0.0) { v += p.b * y[i]; }
  out[i] = v;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn elementwise_fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  dst[i] = p.a;
}
