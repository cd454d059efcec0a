// Per-batch linear combination of three tensors [B, perBatch]:
//   out[i] = c[b, 0]·x[i] + c[b, 1]·y[i] + c[b, 2]·z[i],   b = i / perBatch.
// The flow-map updates (x_u, the bootstrap target, the stage-2 target F, the
// two-network sampler step) are all of this form with coefficients that
// depend on each batch element's times. A term whose coefficient is 0 is not
// read (so NaN/Inf in an unused input cannot leak, and it may be any tensor).
// One thread per element (flat_index, lib/grid.wgsl). A tensor above the
// binding limit is combined in chunks (kernels/distill.ts), each bound as its
// own views: `base` is the chunk's first element in the whole tensor (0 for a
// whole tensor), which places element i in batch (base + i) / perBatch.

struct Params { n: u32, perBatch: u32, base: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> z: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn lincomb_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  let b = (p.base + i) / p.perBatch;
  let cx = c[3u * b];
  let cy = c[3u * b + 1u];
  let cz = c[3u * b + 2u];
  var v = 0.0;
  if (cx != 0.0) { v += cx * x[i]; }
  if (cy != 0.0) { v += cy * y[i]; }
  if (cz != 0.0) { v += cz * z[i]; }
  out[i] = v;
}
