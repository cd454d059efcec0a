// The FLM noising path (spec section 1), one thread per element of [B, L, V]
// (flat_index, lib/grid.wgsl):
//   x = (1 − γ_b)·ε + γ_b·onehot(target_{b,l}).
// A tensor above the binding limit is noised in chunks (kernels/flmNoising.ts):
// eps and x are then views of the chunk and `base` its first element in the
// whole tensor (0 for a whole tensor); targets and γ stay whole.

struct Params { n: u32, length: u32, vocab: u32, base: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn flm_noising_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                       @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  let e = p.base + i;
  let row = e / p.vocab;
  let v = e - row * p.vocab;
  let g = gamma[row / p.length];
  var hot = 0.0;
  if (targets[row] == v) { hot = g; }
  x[i] = (1.0 - g) * eps[i] + hot;
}
