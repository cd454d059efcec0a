// NeoX rotary position embedding (non-interleaved halves) and its transpose.
//
// rope_forward: qkv [B, L, 3D] (column = which·D + h·d + j) → q, k, v in
// [B, H, L, d]; q and k rotated at position l, v only permuted. One thread
// per output element (b, h, l, j): the three outputs are written at the
// thread's own linear index (fully coalesced) and each thread reads the two
// elements of its rotation pair from contiguous d-long runs of qkv.
//
// rope_backward: dqkv [B, L, 3D] from dq, dk, dv [B, H, L, d], one thread per
// element of dqkv (coalesced writes).
//
// inv_freq_i = 10000^(−2i/d) comes from the host (exactly the reference's f32
// table). The angle l·inv_freq_i is formed without rounding (inv_freq split
// into two 12-bit halves, exact for l < 4096) and reduced to [−π/4, π/4] with
// a three-part π/2 (Cody–Waite), then sin and cos are evaluated as
// polynomials (cos_sin_quadrant), so every GPU gives the same ~1e-7 accuracy
// at any position. One thread per element (flat_index, lib/grid.wgsl); the
// π/2 constants and cos_sin_quadrant() come from shaders/lib/math.wgsl,
// prepended by the wrapper.

struct Params {
  B: u32,
  L: u32,
  H: u32,
  d: u32,
  // inv_freq_i at inv[i / 4][i % 4], i < d / 2 ≤ 64.
  inv: array<vec4<f32>, 16>,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward bindings
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> q: array<f32>;
@group(0) @binding(3) var<storage, read_write> k: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// ---- backward bindings (a separate entry point; the two never share a pipeline)
@group(0) @binding(1) var<storage, read> dq: array<f32>;
@group(0) @binding(2) var<storage, read> dk: array<f32>;
@group(0) @binding(3) var<storage, read> dv: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<f32>;

/**
 * cos and sin of l·inv_freq_i. Built-in sin/cos are only required to be
 * accurate to 2^-11 (SwiftShader is ~2e-4 off), so the kernel reduces the
 * angle to r ∈ [−π/4, π/4] plus a quadrant and evaluates Taylor polynomials
 * (truncation error < 2e-9 there): about 1e-7 absolute everywhere.
 */
fn rotation(l: u32, i: u32) -> vec2<f32> {
  let f = p.inv[i / 4u][i % 4u];
  let hi = bitcast<f32>(bitcast<u32>(f) & 0xFFFFF000u);
  let lo = f - hi;
  let lf = f32(l);
  let aHi = lf * hi; // exact for l < 4096
  let aLo = lf * lo; // exact for l < 4096
  let n = round((aHi + aLo) * TWO_OVER_PI);
  let r = (((aHi - n * HALF_PI_C1) - n * HALF_PI_C2) + aLo) - n * HALF_PI_C3;
  return cos_sin_quadrant(r, u32(i32(n)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let idx = flat_index(wg, nwg, li);
  let d = p.d;
  let total = p.B * p.H * p.L * d;
  if (idx >= total) { return; }
  let half = d / 2u;
  let j = idx % d;
  let row = idx / d; // (b·H + h)·L + l
  let l = row % p.L;
  let bh = row / p.L;
  let h = bh % p.H;
  let b = bh / p.H;
  let D = p.H * d;
  let src = (b * p.L + l) * 3u * D + h * d;

  let i = j % half;
  let cs = rotation(l, i);
  let x1q = qkv[src + i];
  let x2q = qkv[src + half + i];
  let x1k = qkv[src + D + i];
  let x2k = qkv[src + D + half + i];
  if (j < half) {
    q[idx] = x1q * cs.x - x2q * cs.y;
    k[idx] = x1k * cs.x - x2k * cs.y;
  } else {
    q[idx] = x1q * cs.y + x2q * cs.x;
    k[idx] = x1k * cs.y + x2k * cs.x;
  }
  v[idx] = qkv[src + 2u * D + j];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rope_backward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let idx = flat_index(wg, nwg, li);
  let d = p.d;
  let D = p.H * d;
  let total = p.B * p.L * 3u * D;
  if (idx >= total) { return; }
  let col = idx % (3u * D);
  let bl = idx / (3u * D); // b·L + l
  let l = bl % p.L;
  let b = bl / p.L;
  let which = col / D;
  let h = (col % D) / d;
  let j = col % d;
  let half = d / 2u;
  let src = ((b * p.H + h) * p.L + l) * d;

  if (which == 2u) {
    dqkv[idx] = dv[src + j];
    return;
  }
  let i = j % half;
  let cs = rotation(l, i);
  var g1: f32;
  var g2: f32;
  if (which == 0u) {
    g1 = dq[src + i];
    g2 = dq[src + half + i];
  } else {
    g1 = dk[src + i];
    g2 = dk[src + half + i];
  }
  if (j < half) {
    dqkv[idx] = g1 * cs.x + g2 * cs.y;
  } else {
    dqkv[idx] = g2 * cs.x - g1 * cs.y;
  }
}
