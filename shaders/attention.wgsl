// Softcapped attention, forward: bidirectional, or causal (CAUSAL: query i
// attends to keys j ≤ i; att is exactly 0 for j > i).
//   q, k, v [B, H, L, d] → o [B, L, D] (heads concatenated: column h·d + c)
//   att [B, H, L, L] = softmax_j(cap(q_i·k_j/√d)), kept for the backward pass,
//   cap(s) = c·tanh(s/c) (identity when c = 0).
//
// One workgroup of 64 threads per (b, h, block of 64 queries), one query per
// thread with q_i and the output accumulator in registers (HEAD_DIM is an
// override, so the register loops have constant trip counts). Keys and values
// are staged through workgroup memory KT at a time (the host picks KT ≤ 32 so
// the K, V and score tiles fit in 12.5 KiB: 16 keys at d = 64, 9 at d = 128;
// every thread reads the same key element at once: a broadcast). Softmax is
// online (flash-style): a running max m and sum; the accumulator is rescaled
// only when the max grows. The capped raw scores of a tile go to a padded
// [64 × KT] workgroup tile and from there to att in row runs (coalesced);
// after the last tile the workgroup normalises its 64 rows of att in place,
// exp(s − m_i)/sum_i, again row-contiguously.
// Causal: key tiles past the block's last query are not visited at all, keys
// j > i inside a visited tile are skipped per thread, and the normalisation
// writes the masked entries of att as 0.
// tanh_acc() comes from shaders/lib/math.wgsl and flat_workgroup() from
// shaders/lib/grid.wgsl, prepended by the wrapper.

override HEAD_DIM: u32 = 64u;
override KT: u32 = 16u;
override CAUSAL: bool = false;
const QB: u32 = 64u;
const MAXD: u32 = 128u;

struct Params {
  L: u32,
  H: u32,
  // query blocks per (b, h) and total workgroups (B·H·nqb)
  nqb: u32,
  groups: u32,
  scale: f32,
  cap: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> o: array<f32>;
@group(0) @binding(5) var<storage, read_write> att: array<f32>;

var<workgroup> ks: array<f32, KT * HEAD_DIM>;
var<workgroup> vs: array<f32, KT * HEAD_DIM>;
var<workgroup> ss: array<f32, QB * (KT + 1u)>;
var<workgroup> rowMax: array<f32, QB>;
var<workgroup> rowSum: array<f32, QB>;

/** c·tanh(s/c), or s when the cap is off. */
fn softcapped(s: f32) -> f32 {
  if (p.cap > 0.0) { return p.cap * tanh_acc(s / p.cap); }
  return s;
}

@compute @workgroup_size(QB)
fn attention_forward(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let flat = flat_workgroup(wg, nwg);
  if (flat >= p.groups) { return; } // whole workgroup: uniform
  let L = p.L;
  let bh = flat / p.nqb;
  let i0 = (flat % p.nqb) * QB;
  let b = bh / p.H;
  let h = bh % p.H;
  let base = bh * L; // first row of head (b, h) in [B, H, L, *]
  let i = i0 + t;
  let valid = i < L;
  let rows = min(QB, L - i0);

  var qr: array<f32, MAXD>;
  var acc: array<f32, MAXD>;
  for (var c = 0u; c < HEAD_DIM; c++) { acc[c] = 0.0; qr[c] = 0.0; }
  if (valid) {
    let qo = (base + i) * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) { qr[c] = q[qo + c]; }
  }
  var m = -3.0e38;
  var sum = 0.0;
  // Causal: no query of this block sees a key at or past i0 + rows.
  let jEnd = select(L, i0 + rows, CAUSAL);

  for (var j0 = 0u; j0 < jEnd; j0 += KT) {
    let nk = min(KT, L - j0);
    let src = (base + j0) * HEAD_DIM;
    for (var e = t; e < nk * HEAD_DIM; e += QB) {
      ks[e] = k[src + e];
      vs[e] = v[src + e];
    }
    workgroupBarrier();
    if (valid) {
      for (var jj = 0u; jj < nk; jj++) {
        if (CAUSAL && j0 + jj > i) { break; }
        let kj = jj * HEAD_DIM;
        var s = 0.0;
        for (var c = 0u; c < HEAD_DIM; c++) { s = fma(qr[c], ks[kj + c], s); }
        s = softcapped(s * p.scale);
        ss[t * (KT + 1u) + jj] = s;
        if (s > m) {
          let corr = exp(m - s);
          sum *= corr;
          for (var c = 0u; c < HEAD_DIM; c++) { acc[c] *= corr; }
          m = s;
        }
        let pj = exp(s - m);
        sum += pj;
        for (var c = 0u; c < HEAD_DIM; c++) { acc[c] = fma(pj, vs[kj + c], acc[c]); }
      }
    }
    workgroupBarrier();
    // Raw scores of this tile → att (each row's nk entries are contiguous).
    // ss is next written after the next tile's first barrier, so no third barrier.
    for (var e = t; e < rows * nk; e += QB) {
      let r = e / nk;
      let c = e % nk;
      att[(base + i0 + r) * L + j0 + c] = ss[r * (KT + 1u) + c];
    }
  }

  if (valid) {
    rowMax[t] = m;
    rowSum[t] = sum;
    let D = p.H * HEAD_DIM;
    let oo = (b * L + i) * D + h * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) { o[oo + c] = acc[c] / sum; }
  }
  storageBarrier();
  workgroupBarrier();
  for (var r = 0u; r < rows; r++) {
    let mr = rowMax[r];
    let sr = rowSum[r];
    let ro = (base + i0 + r) * L;
    for (var j = t; j < L; j += QB) {
      if (CAUSAL && j > i0 + r) { att[ro + j] = 0.0; } else { att[ro + j] = exp(att[ro + j] - mr) / sr; }
    }
  }
}
