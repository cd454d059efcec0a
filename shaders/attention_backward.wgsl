// Backward of the softcapped attention (see attention.wgsl), two dispatches,
// no atomics. With P = att, dO = dout [B, L, D], o the forward output:
//   delta_i = dO_i·o_i,  dP_ij = dO_i·v_j,  dS_ij = P_ij (dP_ij − delta_i),
//   dR_ij = dS_ij (1 − tanh²(r_ij/c)) / √d   (r_ij = q_i·k_j/√d; no factor when c = 0)
//   dq_i = Σ_j dR_ij k_j,  dk_j = Σ_i dR_ij q_i,  dv_j = Σ_i P_ij dO_i.
//
// attention_backward_rows (pass A): one workgroup of 64 threads per (b, h, block of 64 queries),
//   one query per thread (dO_i, q_i and the dq_i accumulator in registers).
//   K and V tiles of KT keys and the matching [64 × KT] tile of P are staged
//   through workgroup memory (P read in row runs: coalesced); dR goes back
//   through the same padded tile to `scratch` in row runs.
// attention_backward_cols (pass B): one workgroup of 64 threads per (b, h, block of 64 keys), one
//   key per thread (dk_j, dv_j accumulators in registers). Q and dO tiles of
//   KT queries are staged through workgroup memory; each thread reads its
//   column of scratch and att, so a warp reads 64 contiguous floats per row.
// Causal (CAUSAL): P_ij = 0 for j > i, so dR_ij = 0 there. rows visits only the
//   key tiles up to the block's last query and writes zeros to the rest of
//   scratch; cols visits only the queries i ≥ j0 (the block's first key) and
//   skips i < j.
// sech2_acc() comes from shaders/lib/math.wgsl and flat_workgroup() from
// shaders/lib/grid.wgsl, prepended by the wrapper.

override HEAD_DIM: u32 = 64u;
override KT: u32 = 16u;
override CAUSAL: bool = false;
const BLK: u32 = 64u;
const MAXD: u32 = 128u;

struct Params {
  L: u32,
  H: u32,
  // 64-row blocks per (b, h) and total workgroups (B·H·nblk)
  nblk: u32,
  groups: u32,
  scale: f32,
  cap: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> att: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;

// ---- attention_backward_rows (pass A)
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> o: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<f32>;

// ---- attention_backward_cols (pass B; a separate pipeline, so these may reuse binding numbers)
@group(0) @binding(4) var<storage, read> dR: array<f32>;
@group(0) @binding(5) var<storage, read_write> dk: array<f32>;
@group(0) @binding(6) var<storage, read_write> dv: array<f32>;

var<workgroup> tileA: array<f32, KT * HEAD_DIM>; // K (rows) or Q (cols)
var<workgroup> tileB: array<f32, KT * HEAD_DIM>; // V (rows) or dO (cols)
var<workgroup> pt: array<f32, BLK * (KT + 1u)>;  // P in, dR out (rows)

@compute @workgroup_size(BLK)
fn attention_backward_rows(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let flat = flat_workgroup(wg, nwg);
  if (flat >= p.groups) { return; } // whole workgroup: uniform
  let L = p.L;
  let bh = flat / p.nblk;
  let i0 = (flat % p.nblk) * BLK;
  let b = bh / p.H;
  let h = bh % p.H;
  let base = bh * L;
  let i = i0 + t;
  let valid = i < L;
  let nrows = min(BLK, L - i0);
  let hasCap = p.cap > 0.0;

  var g: array<f32, MAXD>;   // dO_i
  var qr: array<f32, MAXD>;  // q_i (softcap only)
  var acc: array<f32, MAXD>; // dq_i
  var delta = 0.0;
  for (var c = 0u; c < HEAD_DIM; c++) { g[c] = 0.0; qr[c] = 0.0; acc[c] = 0.0; }
  if (valid) {
    let oo = (b * L + i) * p.H * HEAD_DIM + h * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) {
      g[c] = dout[oo + c];
      delta = fma(g[c], o[oo + c], delta);
    }
    if (hasCap) {
      let qo = (base + i) * HEAD_DIM;
      for (var c = 0u; c < HEAD_DIM; c++) { qr[c] = q[qo + c]; }
    }
  }

  let jEnd = select(L, i0 + nrows, CAUSAL);
  for (var j0 = 0u; j0 < jEnd; j0 += KT) {
    let nk = min(KT, L - j0);
    let src = (base + j0) * HEAD_DIM;
    for (var e = t; e < nk * HEAD_DIM; e += BLK) {
      tileA[e] = k[src + e];
      tileB[e] = v[src + e];
    }
    for (var e = t; e < nrows * nk; e += BLK) {
      let r = e / nk;
      let c = e % nk;
      pt[r * (KT + 1u) + c] = att[(base + i0 + r) * L + j0 + c];
    }
    workgroupBarrier();
    if (valid) {
      for (var jj = 0u; jj < nk; jj++) {
        let kj = jj * HEAD_DIM;
        var dp = 0.0;
        for (var c = 0u; c < HEAD_DIM; c++) { dp = fma(g[c], tileB[kj + c], dp); }
        var ds = pt[t * (KT + 1u) + jj] * (dp - delta);
        if (hasCap) {
          var r = 0.0;
          for (var c = 0u; c < HEAD_DIM; c++) { r = fma(qr[c], tileA[kj + c], r); }
          ds *= sech2_acc((r * p.scale) / p.cap);
        }
        let dr = ds * p.scale;
        pt[t * (KT + 1u) + jj] = dr;
        for (var c = 0u; c < HEAD_DIM; c++) { acc[c] = fma(dr, tileA[kj + c], acc[c]); }
      }
    }
    workgroupBarrier();
    for (var e = t; e < nrows * nk; e += BLK) {
      let r = e / nk;
      let c = e % nk;
      scratch[(base + i0 + r) * L + j0 + c] = pt[r * (KT + 1u) + c];
    }
    workgroupBarrier(); // pt is restaged by the next tile
  }
  // Causal: the key tiles not visited hold dR = 0 (the visited range ends on a tile boundary or at L).
  let jDone = min(L, ((jEnd + KT - 1u) / KT) * KT);
  for (var e = t; e < nrows * (L - jDone); e += BLK) {
    let r = e / (L - jDone);
    let c = e % (L - jDone);
    scratch[(base + i0 + r) * L + jDone + c] = 0.0;
  }

  if (valid) {
    let qo = (base + i) * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) { dq[qo + c] = acc[c]; }
  }
}

@compute @workgroup_size(BLK)
fn attention_backward_cols(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let flat = flat_workgroup(wg, nwg);
  if (flat >= p.groups) { return; } // whole workgroup: uniform
  let L = p.L;
  let bh = flat / p.nblk;
  let j0 = (flat % p.nblk) * BLK;
  let b = bh / p.H;
  let h = bh % p.H;
  let base = bh * L;
  let j = j0 + t;
  let valid = j < L;
  let D = p.H * HEAD_DIM;

  var ak: array<f32, MAXD>; // dk_j
  var av: array<f32, MAXD>; // dv_j
  for (var c = 0u; c < HEAD_DIM; c++) { ak[c] = 0.0; av[c] = 0.0; }

  // Causal: no key of this block gets gradient from a query before j0.
  for (var i0 = select(0u, j0, CAUSAL); i0 < L; i0 += KT) {
    let nq = min(KT, L - i0);
    let src = (base + i0) * HEAD_DIM;
    for (var e = t; e < nq * HEAD_DIM; e += BLK) {
      tileA[e] = q[src + e];
      let r = e / HEAD_DIM;
      let c = e % HEAD_DIM;
      tileB[e] = dout[(b * L + i0 + r) * D + h * HEAD_DIM + c];
    }
    workgroupBarrier();
    if (valid) {
      for (var ii = 0u; ii < nq; ii++) {
        if (CAUSAL && i0 + ii < j) { continue; }
        let a = (base + i0 + ii) * L + j;
        let sr = dR[a];
        let pr = att[a];
        let qi = ii * HEAD_DIM;
        for (var c = 0u; c < HEAD_DIM; c++) {
          ak[c] = fma(sr, tileA[qi + c], ak[c]);
          av[c] = fma(pr, tileB[qi + c], av[c]);
        }
      }
    }
    workgroupBarrier();
  }

  if (valid) {
    let ko = (base + j) * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) {
      dk[ko + c] = ak[c];
      dv[ko + c] = av[c];
    }
  }
}
