// Gated residual: h += gate_item·y (forward), and its backward
// dy = dh·gate, dgate_item = Σ_item-rows dh·y (into dmod's gate columns).
//
// gate_residual_forward:  one invocation per element (flat_index, lib/grid.wgsl).
// gate_residual_backward: one 32×(WORKGROUP_SIZE/32) workgroup per (32-column
//           block, batch item); its row-lanes stride over the item's rows
//           (coalesced along columns), write dy as they go and reduce dh·y
//           with column_sum (lib/reduce.wgsl) — one dispatch, no atomics.
// The forward binds 0..3 only; the backward adds dh and dmod.

const CB: u32 = 32u;                  // columns per backward workgroup
const RL: u32 = WORKGROUP_SIZE / CB;  // row lanes per backward workgroup

struct Params {
  rows: u32, dim: u32, rowsPerItem: u32, modStride: u32,
  gateOffset: u32, items: u32, colBlocks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> modv: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // h (forward) or dy (backward)
@group(0) @binding(4) var<storage, read> dh: array<f32>;
@group(0) @binding(5) var<storage, read_write> dmod: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn gate_residual_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = flat_index(wg, nwg, li);
  if (i < p.rows * p.dim) {
    let r = i / p.dim;
    let j = i - r * p.dim;
    out[i] += modv[(r / p.rowsPerItem) * p.modStride + p.gateOffset + j] * y[i];
  }
}

@compute @workgroup_size(CB, RL)
fn gate_residual_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wgi = flat_workgroup(wg, nwg);
  let b = wgi / p.colBlocks;
  let j = (wgi % p.colBlocks) * CB + lid.x;
  let D = p.dim;
  let ok = b < p.items && j < D;
  let gi = b * p.modStride + p.gateOffset + j;
  var s = 0.0;
  if (ok) {
    let gate = modv[gi];
    let r0 = b * p.rowsPerItem;
    let r1 = min(r0 + p.rowsPerItem, p.rows);
    for (var r = r0 + lid.y; r < r1; r += RL) {
      let k = r * D + j;
      let g = dh[k];
      out[k] = g * gate;
      s += g * y[k];
    }
  }
  let t = column_sum(lid.y * CB + lid.x, lid.y, RL, CB, s);
  if (ok && lid.y == 0u) { dmod[gi] = t; }
}
