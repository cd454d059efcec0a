// One AdamW step (PyTorch's torch.optim.AdamW after clip_grad_norm_), in place
// on params, m and v, one thread per element (flat_index, lib/grid.wgsl).
//
// The global clipping factor is derived per thread from norm_sq[0] = Σ g²
// (computed on the GPU by grad_norm.wgsl, so nothing is read back). When
// norm_sq[0] is NaN or ±Inf the step is skipped: params, m and v are left
// untouched. The per-step coefficients (decay = 1 − lr·wd, step_size =
// lr/(1 − β1^t), bc2_sqrt = √(1 − β2^t)) are computed on the host.
//
//   g  = grad·min(1, max_norm/(‖g‖ + 1e-6))   (factor 1 when max_norm == 0)
//   p ← p·(1 − lr·wd)
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   p ← p − step_size·m / (√v / bc2_sqrt + eps)

struct Params {
  n: u32,
  decay: f32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  max_grad_norm: f32,
  step_size: f32,
  bc2_sqrt: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> norm_sq: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

// Exponent bits all set: NaN or ±Inf. Bit test, so fast-math cannot fold it away.
fn is_finite(a: f32) -> bool {
  return (bitcast<u32>(a) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamw_step(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let i = flat_index(wg, nwg, li);
  if (i >= p.n) { return; }
  let nsq = norm_sq[0];
  if (!is_finite(nsq)) { return; }
  var coef = 1.0;
  if (p.max_grad_norm > 0.0) { coef = min(1.0, p.max_grad_norm / (sqrt(nsq) + 1e-6)); }
  let g = grads[i] * coef;
  let mi = p.beta1 * m[i] + p.one_minus_beta1 * g;
  let vi = p.beta2 * v[i] + p.one_minus_beta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = params[i] * p.decay - p.step_size * mi / (sqrt(vi) / p.bc2_sqrt + p.eps);
}
