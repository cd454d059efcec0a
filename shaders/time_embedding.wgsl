// Sinusoidal time features: out[b, i] = cos(t_b·ω_i), out[b, half + i] =
// sin(t_b·ω_i), ω_i = exp(−ln(10000)·i/half), half = dim/2 (an odd dim's
// last column is 0).
//
// One thread per output element (coalesced writes; flat_index, lib/grid.wgsl).
// ω_i comes from the host as the f32 rounding of the exact value when
// half ≤ 256 (the table), otherwise it is computed here. The angle is reduced
// to r ∈ [−π/4, π/4] plus a quadrant with a three-part π/2 (Cody–Waite) and
// cos_sin_quadrant evaluates sin/cos of r as Taylor polynomials: the built-in
// sin/cos are only required to be accurate to 2^-11 (SwiftShader is ~2e-4 off).
//
// exp_acc(), the π/2 constants and cos_sin_quadrant() come from
// shaders/lib/math.wgsl, prepended by the wrapper.

struct Params {
  batch: u32,
  dim: u32,
  half: u32,
  // 1: ω_i = freq[i / 4][i % 4]; 0: compute it.
  table: u32,
  freq: array<vec4<f32>, 64>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const LN_MAX_PERIOD: f32 = 9.210340371976184; // ln(10000)

/** (cos a, sin a) for |a| < ~1e5. */
fn cos_sin(a: f32) -> vec2<f32> {
  let k = round(a * TWO_OVER_PI);
  let r = ((a - k * HALF_PI_C1) - k * HALF_PI_C2) - k * HALF_PI_C3;
  return cos_sin_quadrant(r, u32(i32(k)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn time_embedding_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                          @builtin(local_invocation_index) li: u32) {
  let idx = flat_index(wg, nwg, li);
  if (idx >= p.batch * p.dim) { return; }
  let b = idx / p.dim;
  let j = idx - b * p.dim;
  if (j >= 2u * p.half) {
    out[idx] = 0.0;
    return;
  }
  let isSin = j >= p.half;
  let i = select(j, j - p.half, isSin);
  var w: f32;
  if (p.table == 1u) {
    w = p.freq[i / 4u][i % 4u];
  } else {
    w = exp_acc(-LN_MAX_PERIOD * (f32(i) / f32(p.half)));
  }
  let cs = cos_sin(t[b] * w);
  out[idx] = select(cs.x, cs.y, isSin);
}
