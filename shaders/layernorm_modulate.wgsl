// out = LN(x)·w·(1 + scale_item) + shift_item (LayerNorm without bias), plus
// the per-row mean and rstd for the backward pass.
//
// A workgroup of WORKGROUP_SIZE invocations holds WORKGROUP_SIZE/T rows
// (flat_row, lib/grid.wgsl); each row has T lanes (T a power of two: 1 on
// CPU-emulated adapters, else 32..WORKGROUP_SIZE) that stride over its D
// columns (coalesced). The row statistics come from one pass: every lane runs
// Welford's update over its elements, shifted by the row's first element K
// (so the running values stay of the size of the spread, not of the mean),
// and the lanes' (count, mean, M2) triples are combined by row_moments
// (lib/reduce.wgsl) with Chan's formula — accurate for rows with a large
// mean, unlike sum/sum-of-squares. A second
// pass writes the output, centring as (x − K) − mean' so that a large mean
// costs no precision there either.

override T: u32 = 1u;

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn layernorm_modulate_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
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
  // Chan's pairwise combination within each row's T lanes.
  let st = row_moments(li, lane, T, n, m, q);
  let mshift = st.y;
  let rs = inverseSqrt(st.z / f32(D) + p.eps);

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
