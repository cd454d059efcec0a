// Cross-entropy over rows of logits [rows, cols] with u32 targets.
//   forward:  ce[r] = logsumexp(logits[r]) − logits[r, target[r]]
//   backward: dlogits[r, j] = (softmax(logits[r])_j − [j = target[r]])·dce[r]
// Same layout as softmax.wgsl: WORKGROUP_SIZE/T rows of T lanes per workgroup
// (flat_row), online (max, Σexp) per lane, merged by row_max_sumexp
// (lib/reduce.wgsl). A target outside
// [0, cols) gives NaN (ce) or a row of NaN (dlogits) rather than reading a
// neighbouring row. The forward binds 0..3 only; the backward adds dce.

override T: u32 = 1u;
const LOWEST: f32 = -3.4028234663852886e38;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // ce (forward) or dlogits (backward)
@group(0) @binding(4) var<storage, read> dce: array<f32>;

// A quiet NaN built at run time (a constant NaN is a shader-creation error).
fn nan() -> f32 { return bitcast<f32>(0x7fc00000u | (p.cols & 0u)); }

// Row statistics of row r for this lane's group: (max, Σ exp(x − max)).
// Must be called in uniform control flow by the whole workgroup.
fn rowStats(li: u32, lane: u32, live: bool, base: u32) -> vec2<f32> {
  var m = LOWEST;
  var s = 0.0;
  if (live) {
    for (var j = lane; j < p.cols; j += T) {
      let v = logits[base + j];
      if (v > m) {
        s = s * exp(m - v) + 1.0;
        m = v;
      } else {
        s += exp(v - m);
      }
    }
  }
  return row_max_sumexp(li, lane, T, m, s);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cross_entropy_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let base = r * p.cols;
  let st = rowStats(li, lane, live, base);
  if (live && lane == 0u) {
    let t = targets[r];
    var v = nan();
    if (t < p.cols) { v = (st.x - logits[base + t]) + log(st.y); }
    out[r] = v;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cross_entropy_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let base = r * p.cols;
  let st = rowStats(li, lane, live, base);
  if (live) {
    let t = targets[r];
    var g = dce[r];
    if (t >= p.cols) { g = nan(); }
    let scale = g / st.y;
    for (var j = lane; j < p.cols; j += T) {
      var v = exp(logits[base + j] - st.x) * scale;
      if (j == t) { v -= g; }
      out[base + j] = v;
    }
  }
}
