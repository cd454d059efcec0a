// C[M,N] (+)= op(A)·op(B) (+ bias[N]), f32 — the register variant for
// CPU-emulated adapters when every operand can be read as vec4 (see
// matmul_register.wgsl for the general one and kernels/matmul.ts for the
// choice): the contiguous dimension of A (K, or M when transposed) and of B
// (N, or K when transposed), K and N are multiples of 4. Same bindings,
// overrides and results as matmul.wgsl.
//
// On SwiftShader every component a lane loads from a storage buffer costs a
// masked, bounds-checked gather — many times a multiply-add — whatever the
// access pattern, so the kernel is built to load as little as possible per
// multiply-add: each thread computes a 16×16 block of C from 4×4 tiles, held
// as mat4x4 so that one matrix product does 64 multiply-adds (far fewer SPIR-V
// instructions than the same work in vec4 fma's). Per 4-deep slice of K a
// thread loads 8 tiles (32 vec4) for 1024 multiply-adds. No workgroup memory,
// no barriers. Rows and columns past the edge are clamped to the last valid
// one, so the inner loop has no bounds checks; their results are dropped at
// the store, which the thread does from a loop over its 16 tiles (unrolled,
// the stores would be most of the code, and so of the pipeline's compile
// time).
//
// LDA, LDB, LDC: row strides of a block of a wider matrix, as in
// matmul.wgsl (0: the matrix's own width); multiples of 4 here. No float16
// variant: the engine uses matmul_register.wgsl for float16 weights.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 4u;
override WG_Y: u32 = 1u;
override LDA: u32 = 0u;
override LDB: u32 = 0u;
override LDC: u32 = 0u;

struct Params { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> C: array<vec4<f32>>;

fn lda() -> u32 { if (LDA != 0u) { return LDA; } return select(p.K, p.M, TRANS_A); }
fn ldb() -> u32 { if (LDB != 0u) { return LDB; } return select(p.N, p.K, TRANS_B); }
fn ldc() -> u32 { if (LDC != 0u) { return LDC; } return p.N; }

// op(A)[rows, 4kc .. 4kc+3] as a matrix whose column i is row i of the tile.
// `rows` are the (clamped) row indices, `rq` the (clamped) index of the vec4
// holding them when A is stored transposed ([K, M]).
fn tileA(rows: vec4<u32>, rq: u32, kc: u32) -> mat4x4<f32> {
  if (TRANS_A) {
    let s = lda() / 4u;
    let o = kc * 4u * s + rq;
    return transpose(mat4x4<f32>(A[o], A[o + s], A[o + 2u * s], A[o + 3u * s]));
  }
  let s = lda() / 4u;
  return mat4x4<f32>(A[rows.x * s + kc], A[rows.y * s + kc], A[rows.z * s + kc], A[rows.w * s + kc]);
}

// op(B)[4kc .. 4kc+3, cols] as a matrix whose column kk is row kk of the tile.
fn tileB(cols: vec4<u32>, cq: u32, kc: u32) -> mat4x4<f32> {
  if (TRANS_B) {
    let s = ldb() / 4u;
    return transpose(mat4x4<f32>(B[cols.x * s + kc], B[cols.y * s + kc], B[cols.z * s + kc], B[cols.w * s + kc]));
  }
  let s = ldb() / 4u;
  let o = kc * 4u * s + cq;
  return mat4x4<f32>(B[o], B[o + s], B[o + 2u * s], B[o + 3u * s]);
}

fn clamped(first: u32, last: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
}

fn storeRow(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  let o = (row * ldc() + col) / 4u;
  var x = v;
  if (ACCUMULATE) { x += C[o]; }
  C[o] = x;
}

// Rows row..row+3, columns col..col+3 of C from a tile accumulator (column i = row i).
fn storeTile(row: u32, col: u32, t: mat4x4<f32>) {
  if (col >= p.N) { return; }
  var b = vec4<f32>(0.0);
  if (HAS_BIAS) { b = bias[col / 4u]; }
  storeRow(row, col, t[0] + b);
  storeRow(row + 1u, col, t[1] + b);
  storeRow(row + 2u, col, t[2] + b);
  storeRow(row + 3u, col, t[3] + b);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_register_vec4_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 16u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let lastRow = p.M - 1u;
  let lastCol = p.N - 1u;
  let r0 = clamped(row0, lastRow); let r1 = clamped(row0 + 4u, lastRow);
  let r2 = clamped(row0 + 8u, lastRow); let r3 = clamped(row0 + 12u, lastRow);
  let c0 = clamped(col0, lastCol); let c1 = clamped(col0 + 4u, lastCol);
  let c2 = clamped(col0 + 8u, lastCol); let c3 = clamped(col0 + 12u, lastCol);
  // vec4 indices of row/column quads, used by the transposed layouts (M, N multiples of 4)
  let rq0 = r0.x / 4u; let rq1 = r1.x / 4u; let rq2 = r2.x / 4u; let rq3 = r3.x / 4u;
  let cq0 = c0.x / 4u; let cq1 = c1.x / 4u; let cq2 = c2.x / 4u; let cq3 = c3.x / 4u;
  // acc<p><q>: rows row0+4p.., columns col0+4q..; column i of the matrix is one row of C.
  var acc00 = mat4x4<f32>(); var acc01 = mat4x4<f32>(); var acc02 = mat4x4<f32>(); var acc03 = mat4x4<f32>();
  var acc10 = mat4x4<f32>(); var acc11 = mat4x4<f32>(); var acc12 = mat4x4<f32>(); var acc13 = mat4x4<f32>();
  var acc20 = mat4x4<f32>(); var acc21 = mat4x4<f32>(); var acc22 = mat4x4<f32>(); var acc23 = mat4x4<f32>();
  var acc30 = mat4x4<f32>(); var acc31 = mat4x4<f32>(); var acc32 = mat4x4<f32>(); var acc33 = mat4x4<f32>();
  let kq = p.K / 4u;
  for (var kc = 0u; kc < kq; kc++) {
    let a0 = tileA(r0, rq0, kc); let a1 = tileA(r1, rq1, kc);
    let a2 = tileA(r2, rq2, kc); let a3 = tileA(r3, rq3, kc);
    let b0 = tileB(c0, cq0, kc); let b1 = tileB(c1, cq1, kc);
    let b2 = tileB(c2, cq2, kc); let b3 = tileB(c3, cq3, kc);
    acc00 += b0 * a0; acc01 += b1 * a0; acc02 += b2 * a0; acc03 += b3 * a0;
    acc10 += b0 * a1; acc11 += b1 * a1; acc12 += b2 * a1; acc13 += b3 * a1;
    acc20 += b0 * a2; acc21 += b1 * a2; acc22 += b2 * a2; acc23 += b3 * a2;
    acc30 += b0 * a3; acc31 += b1 * a3; acc32 += b2 * a3; acc33 += b3 * a3;
  }
  var tiles = array<mat4x4<f32>, 16>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13,
                                     acc20, acc21, acc22, acc23, acc30, acc31, acc32, acc33);
  for (var t = 0u; t < 16u; t++) {
    storeTile(row0 + (t / 4u) * 4u, col0 + (t % 4u) * 4u, tiles[t]);
  }
}
