// out = LN(x)·w·(1 + scale_item) + shift_item (LayerNorm without bias), plus
// the per-row mean and rstd for the backward pass.
//
// A 256-invocation workgroup holds 256/T rows; each row has T lanes (T a
// power of two, 32..256) that stride over its D columns (coalesced). The row
// statistics come from one pass: every lane runs Welford's update over its
// elements, shifted by the row's first element K (so the running values stay
// of the size of the spread, not of the mean), and the lanes' (count, mean,
// M2) triples are combined in a workgroup-memory tree with Chan's formula —
// accurate for rows with a large mean, unlike sum/sum-of-squares. A second
// pass writes the output, centring as (x − K) − mean' so that a large mean
// costs no precision there either.

override T: u32 = 256u;
const WG: u32 = 256u;

struct Params {
  rows: u32, dim: u32, rowsPerItem: u32, modStride: u32,
  shiftOffset: u32, scaleOffset: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> modv: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> meanOut: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstdOut: array<f32>;

var<workgroup> wn: array<f32, WG>;
var<workgroup> wm: array<f32, WG>;
var<workgroup> wq: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = (wg.x + wg.y * nwg.x) * (WG / T) + li / T;
  let live = r < p.rows;
  let D = p.dim;
  let base = r * D;

  // Per-lane Welford.
  var n = 0.0;
  var m = 0.0;
  var q = 0.0;
  var K = 0.0;
  if (live) {
    K = x[base];
    for (var j = lane; j < D; j += T) {
      let v = x[base + j] - K;
      n += 1.0;
      let d = v - m;
      m += d / n;
      q += d * (v - m);
    }
  }
  wn[li] = n;
  wm[li] = m;
  wq[li] = q;
  workgroupBarrier();

  // Chan's pairwise combination within each row's T lanes.
  for (var s = T / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      let nb = wn[li + s];
      if (nb > 0.0) {
        let na = wn[li];
        let nt = na + nb;
        let d = wm[li + s] - wm[li];
        wm[li] = wm[li] + d * (nb / nt);
        wq[li] = wq[li] + wq[li + s] + d * d * (na * (nb / nt));
        wn[li] = nt;
      }
    }
    workgroupBarrier();
  }

  let g0 = li - lane;
  let mshift = wm[g0];
  let rs = inverseSqrt(wq[g0] / f32(D) + p.eps);

  if (live) {
    if (lane == 0u) {
      meanOut[r] = K + mshift;
      rstdOut[r] = rs;
    }
    let mrow = (r / p.rowsPerItem) * p.modStride;
    let shift0 = mrow + p.shiftOffset;
    let scale0 = mrow + p.scaleOffset;
    for (var j = lane; j < D; j += T) {
      let y = ((x[base + j] - K) - mshift) * rs * w[j];
      out[base + j] = y * (1.0 + modv[scale0 + j]) + modv[shift0 + j];
    }
  }
}
