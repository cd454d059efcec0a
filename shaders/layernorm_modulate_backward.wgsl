// Backward of layernorm_modulate, in three dispatches without atomics.
// With x̂ = (x − mean)·rstd and g = dout:
//   _dx:     dx += rstd·(ĝ − mean_j(ĝ) − x̂·mean_j(ĝ·x̂)),  ĝ = g·(1+scale)·w
//            (one row per T lanes, WORKGROUP_SIZE/T rows per workgroup, both
//            row sums reduced together by row_sum2, lib/reduce.wgsl);
//   _colsum: per (32-column block, batch item): dshift = Σ_item-rows g and
//            A = Σ_item-rows g·x̂, written to dmod's shift and scale columns
//            (A is a temporary there); WORKGROUP_SIZE/32 row-lanes stride
//            over the item's rows, coalesced along columns (column_sum2);
//   _dw:     per column j: dw = Σ_items (1 + scale)·A, then the scale
//            column becomes dscale = w·A (one thread per column).
// Each entry binds only the variables it uses; acc (binding 7) is dx for _dx
// and dmod for the other two (it is read-write, never aliased with an input).

override T: u32 = 1u;
const CB: u32 = 32u;                  // columns per colsum workgroup
const RL: u32 = WORKGROUP_SIZE / CB;  // row lanes per colsum workgroup

struct Params {
  rows: u32, dim: u32, rowsPerItem: u32, modStride: u32,
  shiftOffset: u32, scaleOffset: u32, items: u32, colBlocks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read> modv: array<f32>;
@group(0) @binding(7) var<storage, read_write> acc: array<f32>;
@group(0) @binding(8) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn layernorm_modulate_backward_dx(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let D = p.dim;
  let base = r * D;

  var mu = 0.0;
  var rs = 0.0;
  var scale0 = 0u;
  var s = vec2<f32>(0.0, 0.0);
  if (live) {
    mu = mean[r];
    rs = rstd[r];
    scale0 = (r / p.rowsPerItem) * p.modStride + p.scaleOffset;
    for (var j = lane; j < D; j += T) {
      let xh = (x[base + j] - mu) * rs;
      let g = dout[base + j] * (1.0 + modv[scale0 + j]) * w[j];
      s += vec2<f32>(g, g * xh);
    }
  }
  let tot = row_sum2(li, lane, T, s) / f32(D);

  if (live) {
    for (var j = lane; j < D; j += T) {
      let xh = (x[base + j] - mu) * rs;
      let g = dout[base + j] * (1.0 + modv[scale0 + j]) * w[j];
      acc[base + j] += rs * (g - tot.x - xh * tot.y);
    }
  }
}

@compute @workgroup_size(CB, RL)
fn layernorm_modulate_backward_colsum(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wgi = flat_workgroup(wg, nwg);
  let b = wgi / p.colBlocks;
  let j = (wgi % p.colBlocks) * CB + lid.x;
  let D = p.dim;
  let ok = b < p.items && j < D;
  var s = vec2<f32>(0.0, 0.0);
  if (ok) {
    let r0 = b * p.rowsPerItem;
    let r1 = min(r0 + p.rowsPerItem, p.rows);
    for (var r = r0 + lid.y; r < r1; r += RL) {
      let g = dout[r * D + j];
      let xh = (x[r * D + j] - mean[r]) * rstd[r];
      s += vec2<f32>(g, g * xh);
    }
  }
  let t = column_sum2(lid.y * CB + lid.x, lid.y, RL, CB, s);
  if (ok && lid.y == 0u) {
    let mrow = b * p.modStride;
    acc[mrow + p.shiftOffset + j] = t.x;
    acc[mrow + p.scaleOffset + j] = t.y;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layernorm_modulate_backward_dw(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let j = flat_index(wg, nwg, li);
  if (j < p.dim) {
    let wj = w[j];
    var s = 0.0;
    for (var b = 0u; b < p.items; b++) {
      let k = b * p.modStride + p.scaleOffset + j;
      let a = acc[k];
      s += (1.0 + modv[k]) * a;
      acc[k] = wj * a;
    }
    dw[j] = s;
  }
}
