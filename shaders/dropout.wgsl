// Dropout with a counter-based mask: out = x·mask/(1 − p) where element i is
// kept iff (w >> 8) ≥ threshold, w being word i%4 of
// philox((i/4, counter, 0, 0), key). The mask is regenerated, never stored, so
// the backward pass is this same kernel applied to the gradient. One thread
// per 4 elements (flat_index, lib/grid.wgsl).
// philox() comes from shaders/lib/philox.wgsl, prepended by the wrapper.

struct Params { n: u32, counter: u32, k0: u32, k1: u32, threshold: u32, scale: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let blk = flat_index(wg, nwg, li);
  let base = blk * 4u;
  if (base >= p.n) { return; }
  let w = philox(vec4<u32>(blk, p.counter, 0u, 0u), vec2<u32>(p.k0, p.k1));
  for (var j = 0u; j < 4u; j++) {
    let i = base + j;
    if (i >= p.n) { break; }
    var v = 0.0;
    if ((w[j] >> 8u) >= p.threshold) { v = x[i] * p.scale; }
    out[i] = v;
  }
}
