// Gated residual: h += gate_item·y (forward), and its backward
// dy = dh·gate, dgate_item = Σ_item-rows dh·y (into dmod's gate columns).
//
// forward:  one invocation per element, 256 per workgroup, 2-D grid.
// backward: one 32×8 workgroup per (32-column block, batch item); its 8
//           row-lanes stride over the item's rows (coalesced along columns),
//           write dy as they go and reduce dh·y in workgroup memory — one
//           dispatch, no atomics.
// The forward binds 0..3 only; the backward adds dh and dmod.

const CB: u32 = 32u;
const RL: u32 = 8u;

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

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wg.x + wg.y * nwg.x) * 256u + li;
  if (i < p.rows * p.dim) {
    let r = i / p.dim;
    let j = i - r * p.dim;
    out[i] += modv[(r / p.rowsPerItem) * p.modStride + p.gateOffset + j] * y[i];
  }
}

@compute @workgroup_size(CB, RL)
fn backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let wgi = wg.x + wg.y * nwg.x;
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
  let li = lid.y * CB + lid.x;
  red[li] = s;
  workgroupBarrier();
  for (var h = RL / 2u; h > 0u; h >>= 1u) {
    if (lid.y < h) { red[li] = red[li] + red[li + h * CB]; }
    workgroupBarrier();
  }
  if (ok && lid.y == 0u) { dmod[gi] = red[lid.x]; }
}
