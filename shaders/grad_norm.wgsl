// Global squared L2 norm out[0] = Σ_{i<n} x[i]², in two deterministic stages
// (no atomics, so the summation order depends only on n).
//
// grad_norm_partials: P workgroups (P ≤ 1024) of WG = WORKGROUP_SIZE threads.
//   Workgroup w walks the blocks of 4·WG elements w, w+P, w+2P, …; inside a
//   block thread t reads elements t, t+WG, t+2WG, t+3WG (four independent
//   coalesced loads per iteration, four accumulators). The WG per-thread sums
//   are combined by row_sum over the whole workgroup (lib/reduce.wgsl) and
//   written to scratch[w].
// grad_norm_finish: one workgroup sums the P partials the same way into out[0].
//
// NaN/Inf in x propagates into the result (the AdamW kernel skips the step).

struct Params { n: u32, partials: u32 }

@group(0) @binding(0) var<uniform> p: Params;

// ---- grad_norm_partials bindings
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> scratch_out: array<f32>;

// ---- grad_norm_finish bindings (a separate entry point)
@group(0) @binding(1) var<storage, read> scratch_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const BLOCK: u32 = WORKGROUP_SIZE * 4u;

fn sq(i: u32) -> f32 {
  if (i < p.n) {
    let v = x[i];
    return v * v;
  }
  return 0.0;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn grad_norm_partials(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let stride = p.partials * BLOCK;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var i = wg.x * BLOCK + li; i < p.n; i += stride) {
    a0 += sq(i);
    a1 += sq(i + WORKGROUP_SIZE);
    a2 += sq(i + 2u * WORKGROUP_SIZE);
    a3 += sq(i + 3u * WORKGROUP_SIZE);
  }
  let s = row_sum(li, li, WORKGROUP_SIZE, (a0 + a1) + (a2 + a3));
  if (li == 0u) { scratch_out[wg.x] = s; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn grad_norm_finish(@builtin(local_invocation_index) li: u32) {
  var a = 0.0;
  for (var i = li; i < p.partials; i += WORKGROUP_SIZE) { a += scratch_in[i]; }
  let s = row_sum(li, li, WORKGROUP_SIZE, a);
  if (li == 0u) { out[0] = s; }
}
