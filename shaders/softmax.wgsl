// Row-wise softmax (or log-softmax with LOG) over [rows, cols].
//
// A 256-invocation workgroup holds 256/T rows of T lanes each (T a power of
// two, 32..256; T = 256 for vocabulary-sized rows). Each lane keeps an online
// (max, Σexp(x − max)) pair over its strided, coalesced elements — one exp
// per element — and the pairs are merged in a workgroup-memory tree. A second
// pass writes exp(x − max)/Σ (or (x − max) − log Σ).

override T: u32 = 256u;
override LOG: bool = false;
const WG: u32 = 256u;
const LOWEST: f32 = -3.4028234663852886e38;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> wmax: array<f32, WG>;
var<workgroup> wsum: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = (wg.x + wg.y * nwg.x) * (WG / T) + li / T;
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
  wmax[li] = m;
  wsum[li] = s;
  workgroupBarrier();
  for (var h = T / 2u; h > 0u; h >>= 1u) {
    if (lane < h) {
      let ma = wmax[li];
      let mb = wmax[li + h];
      let mx = max(ma, mb);
      wsum[li] = wsum[li] * exp(ma - mx) + wsum[li + h] * exp(mb - mx);
      wmax[li] = mx;
    }
    workgroupBarrier();
  }
  let mx = wmax[li - lane];
  let sum = wsum[li - lane];

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
