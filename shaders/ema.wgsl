// Exponential moving average of the weights, in place:
// ema[i] = decay·ema[i] + (1 − decay)·params[i], one thread per element
// (flat_index, lib/grid.wgsl).

struct Params { n: u32, decay: f32, one_minus_decay: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> ema: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn ema_update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  ema[i] = p.decay * ema[i] + p.one_minus_decay * params[i];
}
