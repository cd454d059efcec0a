// Exponential moving average of the weights, in place:
// ema[i] = decay·ema[i] + (1 − decay)·params[i], one thread per element, 256
// per workgroup, the 1-D index spread over a 2-D grid (x + y·nx).

struct Params { n: u32, decay: f32, one_minus_decay: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> ema: array<f32>;

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.x + wg.y * nwg.x) * WG + lid.x;
  if (i >= p.n) { return; }
  ema[i] = p.decay * ema[i] + p.one_minus_decay * params[i];
}
