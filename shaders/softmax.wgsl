// Row-wise softmax (or log-softmax with LOG) over [rows, cols].
//
// A workgroup of WORKGROUP_SIZE invocations holds WORKGROUP_SIZE/T rows of T
// lanes each (flat_row, lib/grid.wgsl; T a power of two: 1 on CPU-emulated
// adapters, else 32..WORKGROUP_SIZE, the most for vocabulary-sized rows).
// Each lane keeps an online (max, Σexp(x − max)) pair over its strided,
// coalesced elements — one exp per element — and the pairs are merged by
// row_max_sumexp (lib/reduce.wgsl). A second pass writes exp(x − max)/Σ (or
// (x − max) − log Σ).

override T: u32 = 1u;
override LOG: bool = false;
const LOWEST: f32 = -3.4028234663852886e38;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmax_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let C = p.cols;
  let base = r * C;

  var m = LOWEST;
  var s = 0.0;
  if (live) {
    for (var j = lane; j < C; j += T) {
      let v = x[base + j];
      if (v > m) {
        s = s * exp(m - v) + 1.0;
        m = v;
      } else {
        s += exp(v - m);
      }
    }
  }
  let st = row_max_sumexp(li, lane, T, m, s);
  let mx = st.x;
  let sum = st.y;

  if (live) {
    if (LOG) {
      let ls = log(sum);
      for (var j = lane; j < C; j += T) { out[base + j] = (x[base + j] - mx) - ls; }
    } else {
      let inv = 1.0 / sum;
      for (var j = lane; j < C; j += T) { out[base + j] = exp(x[base + j] - mx) * inv; }
    }
  }
}
