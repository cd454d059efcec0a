// Stage-1 flow-map distillation loss (spec section 6), per token row r of
// [rows, cols] (rows = B·L, cols = V, b = r / length):
//   raw[r]   = Σ_j (tgt[r, j] − c[b]·g[r, j])²       tgt = x_boot − D_s, c = ½·Δ·(1 − γ_s)
//   dg[r, j] = −2·c[b]·dce[r]·(tgt[r, j] − c[b]·g[r, j])
// so that f_final = D_s + c·g and raw = V·mean_v (x_boot − f_final)². The
// weighting exp(−w)·raw + w and the mean are weighted_loss.wgsl's. Layout as
// cross_entropy.wgsl: WORKGROUP_SIZE/T rows of T lanes per workgroup
// (flat_row), the sum reduced by row_sum (lib/reduce.wgsl, a fixed-order
// tree). The backward binds dce (binding 5).

override T: u32 = 1u;

struct Params { rows: u32, cols: u32, length: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // raw (forward) or dg (backward)
@group(0) @binding(5) var<storage, read> dce: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn distill_stage1_loss_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  var s = 0.0;
  if (live) {
    let cb = c[r / p.length];
    let base = r * p.cols;
    for (var j = lane; j < p.cols; j += T) {
      let e = tgt[base + j] - cb * g[base + j];
      s += e * e;
    }
  }
  let total = row_sum(li, lane, T, s);
  if (live && lane == 0u) { out[r] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn distill_stage1_loss_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  if (r >= p.rows) { return; }
  let cb = c[r / p.length];
  let k = -2.0 * cb * dce[r];
  let base = r * p.cols;
  for (var j = lane; j < p.cols; j += T) {
    out[base + j] = k * (tgt[base + j] - cb * g[base + j]);
  }
}
