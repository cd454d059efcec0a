// Stage-2 map-matching loss (spec section 7), per token row r of
// [rows, cols] (rows = B·L, cols = V, b = r / length), with the student's
// probabilities q = softmax(logits[r]) and a = Δ/(1 − γ_s + 1e−5):
//   F̂[r]     = x_s[r] + a[b]·(q − x_s[r])
//   raw[r]    = Σ_j (F[r, j] − F̂[r, j])²            (= V·mean_v, no weighting)
//   dq        = −2·a[b]·dce[r]·(F − F̂)
//   dlogits   = q ⊙ (dq − Σ_j q_j·dq_j)             (softmax backward)
// forward writes raw and q (binding 6); backward reads q and binds dce.
// Layout as cross_entropy.wgsl: WORKGROUP_SIZE/T rows of T lanes (flat_row),
// the max and sums reduced by row_max / row_sum (lib/reduce.wgsl, fixed-order
// trees).

override T: u32 = 1u;
const LOWEST: f32 = -3.4028234663852886e38;

struct Params { rows: u32, cols: u32, length: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;   // logits (forward) or q (backward)
@group(0) @binding(2) var<storage, read> F: array<f32>;
@group(0) @binding(3) var<storage, read> xs: array<f32>;
@group(0) @binding(4) var<storage, read> a: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // raw (forward) or dlogits (backward)
@group(0) @binding(6) var<storage, read_write> q: array<f32>;   // forward only
@group(0) @binding(6) var<storage, read> dce: array<f32>;       // backward only

@compute @workgroup_size(WORKGROUP_SIZE)
fn distill_stage2_loss_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let base = r * p.cols;
  var m = LOWEST;
  if (live) { for (var j = lane; j < p.cols; j += T) { m = max(m, src[base + j]); } }
  m = row_max(li, lane, T, m);
  workgroupBarrier(); // the reductions share their scratch
  var s = 0.0;
  if (live) { for (var j = lane; j < p.cols; j += T) { s += exp(src[base + j] - m); } }
  s = row_sum(li, lane, T, s);
  workgroupBarrier();
  var e2 = 0.0;
  if (live) {
    let ab = a[r / p.length];
    for (var j = lane; j < p.cols; j += T) {
      let qj = exp(src[base + j] - m) / s;
      q[base + j] = qj;
      let x = xs[base + j];
      let e = F[base + j] - (x + ab * (qj - x));
      e2 += e * e;
    }
  }
  e2 = row_sum(li, lane, T, e2);
  if (live && lane == 0u) { out[r] = e2; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn distill_stage2_loss_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let base = r * p.cols;
  var ab = 0.0;
  var k = 0.0;
  var s = 0.0;
  if (live) {
    ab = a[r / p.length];
    k = -2.0 * ab * dce[r];
    for (var j = lane; j < p.cols; j += T) {
      let x = xs[base + j];
      let qj = src[base + j];
      s += qj * k * (F[base + j] - (x + ab * (qj - x)));
    }
  }
  s = row_sum(li, lane, T, s);
  if (live) {
    for (var j = lane; j < p.cols; j += T) {
      let x = xs[base + j];
      let qj = src[base + j];
      let dq = k * (F[base + j] - (x + ab * (qj - x)));
      out[base + j] = qj * (dq - s);
    }
  }
}
