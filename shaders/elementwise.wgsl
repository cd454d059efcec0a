// Elementwise helpers over n floats, one thread per element, 256 per
// workgroup, the 1-D index spread over a 2-D grid (x + y·nx).
//
// axpby: out[i] = a·x[i] + b·y[i], or a·x[i] when b == 0 (y is then not read,
//        so NaN/Inf in it cannot leak; it is still bound and may alias x).
// fill:  out[i] = a.

struct Params { n: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> p: Params;

// ---- axpby bindings
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// ---- fill binding (a separate entry point)
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

const WG: u32 = 256u;

fn index(wg: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wg.x + wg.y * nwg.x) * WG + lid.x;
}

@compute @workgroup_size(256)
fn axpby(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = index(wg, nwg, lid);
  if (i >= p.n) { return; }
  var v = p.a * x[i];
  if (p.b != 0.0) { v += p.b * y[i]; }
  out[i] = v;
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = index(wg, nwg, lid);
  if (i >= p.n) { return; }
  dst[i] = p.a;
}
