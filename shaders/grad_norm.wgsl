// Global squared L2 norm out[0] = Σ_{i<n} x[i]², in two deterministic stages
// (no atomics, so the summation order depends only on n).
//
// partial_sums: P workgroups (P ≤ 1024) of 256 threads. Workgroup w walks the
//   blocks of 1024 elements w, w+P, w+2P, …; inside a block thread t reads
//   elements t, t+256, t+512, t+768 (four independent coalesced loads per
//   iteration, four accumulators). The 256 per-thread sums are combined by a
//   tree in workgroup memory and written to scratch[w].
// finish: one workgroup of 256 sums the P partials the same way into out[0].
//
// NaN/Inf in x propagates into the result (the AdamW kernel skips the step).

struct Params { n: u32, partials: u32 }

@group(0) @binding(0) var<uniform> p: Params;

// ---- partial_sums bindings
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> scratch_out: array<f32>;

// ---- finish bindings (a separate entry point)
@group(0) @binding(1) var<storage, read> scratch_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;
const BLOCK: u32 = 1024u; // WG · 4

var<workgroup> red: array<f32, 256>;

// Tree sum of one value per thread; must be called from uniform control flow.
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  return red[0];
}

fn sq(i: u32) -> f32 {
  if (i < p.n) {
    let v = x[i];
    return v * v;
  }
  return 0.0;
}

@compute @workgroup_size(256)
fn partial_sums(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let stride = p.partials * BLOCK;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var i = wg.x * BLOCK + lid.x; i < p.n; i += stride) {
    a0 += sq(i);
    a1 += sq(i + WG);
    a2 += sq(i + 2u * WG);
    a3 += sq(i + 3u * WG);
  }
  let s = workgroup_sum((a0 + a1) + (a2 + a3), lid.x);
  if (lid.x == 0u) { scratch_out[wg.x] = s; }
}

@compute @workgroup_size(256)
fn finish(@builtin(local_invocation_id) lid: vec3<u32>) {
  var a = 0.0;
  for (var i = lid.x; i < p.partials; i += WG) { a += scratch_in[i]; }
  let s = workgroup_sum(a, lid.x);
  if (lid.x == 0u) { out[0] = s; }
}
