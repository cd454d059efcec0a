// Sinusoidal time features: out[b, i] = cos(t_b·ω_i), out[b, half + i] =
// sin(t_b·ω_i), ω_i = exp(−ln(10000)·i/half), half = dim/2 (an odd dim's
// last column is 0).
//
// One thread per output element (coalesced writes), 1-D index over a 2-D grid.
// ω_i comes from the host as the f32 rounding of the exact value when
// half ≤ 256 (the table), otherwise it is computed here. The angle is reduced
// to r ∈ [−π/4, π/4] plus a quadrant with a three-part π/2 (Cody–Waite) and
// sin/cos of r are Taylor polynomials (truncation < 2e-9): the built-in sin/cos
// are only required to be accurate to 2^-11 (SwiftShader is ~2e-4 off).
//
// exp_acc() and sigmoid2() come from shaders/lib/exp.wgsl, prepended by the wrapper.

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

const WG: u32 = 256u;
const LN_MAX_PERIOD: f32 = 9.210340371976184; // ln(10000)
// π/2 = C1 + C2 + C3; C1 has 8 significant bits so k·C1 is exact for k < 2^16.
const HALF_PI_C1: f32 = 1.5703125;
const HALF_PI_C2: f32 = 0.0004838267923332751;
const HALF_PI_C3: f32 = 2.5632829192545614e-12;
const TWO_OVER_PI: f32 = 0.6366197723675814;

/** (cos a, sin a) for |a| < ~1e5. */
fn cos_sin(a: f32) -> vec2<f32> {
  let k = round(a * TWO_OVER_PI);
  let r = ((a - k * HALF_PI_C1) - k * HALF_PI_C2) - k * HALF_PI_C3;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-0.16666666666666666 + r2 * (0.008333333333333333 +
    r2 * (-0.0001984126984126984 + r2 * 2.7557319223985893e-06))));
  let c = 1.0 + r2 * (-0.5 + r2 * (0.041666666666666664 + r2 * (-0.001388888888888889 +
    r2 * (2.48015873015873e-05 + r2 * -2.755731922398589e-07))));
  switch (i32(k) & 3) {
    case 0: { return vec2<f32>(c, s); }
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let idx = (wg.x + wg.y * nwg.x) * WG + lid.x;
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
