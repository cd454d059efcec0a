// Counter-based standard normal noise: Philox4x32-10 and Box–Muller, the
// bit-exact twin of src/engine/reference/noise.ts.
//
// Thread `blk` computes the block philox4x32(c = (blk, counter, 0, 0),
// key = (k0, k1)) → words w0..w3 and writes out[4blk .. 4blk + 3] (< n):
// (w0, w1) → out[4blk], out[4blk+1] and (w2, w3) → out[4blk+2], out[4blk+3],
// each pair as rad·cos θ, rad·sin θ with rad = √(−2 ln u1), θ = 2π·u2 and
// u = ((w >> 8) + 0.5) / 2^24.
//
// The uniforms never round: with N = w >> 8, u = (2N + 1) / 2^25, and for
// u ≥ 1/2 the kernel works with 1 − u = (2(2^24 − 1 − N) + 1) / 2^25 instead
// (exact in f32, where u itself is not). ln u is log1p of an exact argument in
// [√½ − 1, √2 − 1] plus a multiple of ln 2; θ is reduced to a quadrant and
// r ∈ [−π/4, π/4] in exact integer arithmetic on 2N + 1. sin/cos/log are
// polynomials, so the result (≈3e-7 relative) does not depend on the driver's
// built-ins (SwiftShader's sin is ~2e-4 off, its log near 1 ~1e-3 relative).
//
// noise_philox_words (tests): the raw words, words[4blk + j] = w_j (< n).
//
// A large tensor is generated in chunks (kernels/noise.ts), each bound as its
// own view: `base` is the chunk's first block, so thread blk computes block
// base + blk of the stream and writes the chunk's elements 4blk…, n being the
// chunk's length. A whole tensor has base 0.
//
// One thread per block of 4 (flat_index, lib/grid.wgsl). philox() comes from
// shaders/lib/philox.wgsl; LN2_HI/LN2_LO and cos_sin_quadrant() from
// shaders/lib/math.wgsl; both are prepended by the wrapper.

struct Params { n: u32, counter: u32, k0: u32, k1: u32, base: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// ---- noise_philox_words binding (a separate entry point)
@group(0) @binding(1) var<storage, read_write> words: array<u32>;

const LN2: f32 = 0.6931471805599453;
const ONE_MINUS_SQRT_HALF: f32 = 0.2928932188134524;
const SQRT2: f32 = 1.4142135623730951;
// 2π / 2^25: one step of the integer angle 2N + 1.
const ANGLE_STEP: f32 = 1.8725351414619643e-07;

/** log(1 + f) for f ∈ [√½ − 1, √2 − 1]: with s = f/(2 + f), log1p f = f − s·(f − R), R = 2s²/3 + 2s⁴/5 + … */
fn log1p_small(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let R = 2.0 * z * (0.3333333333333333 + z * (0.2 + z * (0.14285714285714285 +
    z * (0.1111111111111111 + z * (0.09090909090909091 + z * 0.07692307692307693)))));
  return f - s * (f - R);
}

/** −2·ln(u) for u = (2N + 1) / 2^25, N < 2^24. */
fn neg2_log_unit(N: u32) -> f32 {
  var lnu: f32;
  if (N < 0x800000u) {
    // u < 1/2 is exact: 2N + 1 = m·2^e with m ∈ [1, 2), folded into [√½, √2).
    let a = 2u * N + 1u;
    var e = i32(firstLeadingBit(a));
    var m = ldexp(f32(a), -e);
    if (m > SQRT2) { m = 0.5 * m; e = e + 1; }
    let k = f32(e - 25);
    lnu = k * LN2_HI + (k * LN2_LO + log1p_small(m - 1.0));
  } else {
    // u ≥ 1/2: v = 1 − u is exact.
    let v = f32(2u * (0xffffffu - N) + 1u) * (1.0 / 33554432.0);
    if (v <= ONE_MINUS_SQRT_HALF) {
      lnu = log1p_small(-v);
    } else {
      lnu = log1p_small(1.0 - 2.0 * v) - LN2; // u = (1 + (1 − 2v)) / 2, 1 − 2v exact
    }
  }
  return -2.0 * lnu;
}

/** (cos θ, sin θ) for θ = 2π·(2N + 1)/2^25. */
fn cos_sin_turn(N: u32) -> vec2<f32> {
  let a = 2u * N + 1u;                  // < 2^25
  let q = (a + 0x400000u) >> 23u;       // nearest quarter turn, 0..4
  let rr = i32(a) - i32(q << 23u);      // |rr| < 2^22: exact in f32
  let r = f32(rr) * ANGLE_STEP;         // |r| ≤ π/4
  return cos_sin_quadrant(r, q);
}

fn box_muller(w1: u32, w2: u32) -> vec2<f32> {
  let rad = sqrt(neg2_log_unit(w1 >> 8u));
  return rad * cos_sin_turn(w2 >> 8u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn noise_gaussian(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) li: u32) {
  let blk = flat_index(wg, nwg, li);
  let i = blk * 4u;
  if (i >= p.n) { return; }
  let w = philox(vec4<u32>(p.base + blk, p.counter, 0u, 0u), vec2<u32>(p.k0, p.k1));
  let g0 = box_muller(w.x, w.y);
  let g1 = box_muller(w.z, w.w);
  if (i + 3u < p.n) {
    out[i] = g0.x;
    out[i + 1u] = g0.y;
    out[i + 2u] = g1.x;
    out[i + 3u] = g1.y;
  } else {
    out[i] = g0.x;
    if (i + 1u < p.n) { out[i + 1u] = g0.y; }
    if (i + 2u < p.n) { out[i + 2u] = g1.x; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn noise_philox_words(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) li: u32) {
  let blk = flat_index(wg, nwg, li);
  let i = blk * 4u;
  if (i >= p.n) { return; }
  let w = philox(vec4<u32>(p.base + blk, p.counter, 0u, 0u), vec2<u32>(p.k0, p.k1));
  for (var j = 0u; j < 4u; j++) {
    if (i + j < p.n) { words[i + j] = w[j]; }
  }
}
