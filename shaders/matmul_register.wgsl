// C[M,N] (+)= op(A)·op(B) (+ bias[N]), f32 — the variant for CPU-emulated
// adapters (SwiftShader, lavapipe), where workgroup barriers cost far more
// than the memory traffic they save. This one takes any shape; when the
// operands can be read as vec4 the engine uses matmul_register_vec4.wgsl,
// which is the same kernel with vector loads (see kernels/matmul.ts). Same
// bindings, overrides and results as matmul.wgsl.
//
// On SwiftShader every value a lane loads from a storage buffer costs a
// masked, bounds-checked gather — many times a multiply-add — whatever the
// access pattern, so the kernel is built to load as little as possible per
// multiply-add: each thread computes a 16×16 block of C from 4×4 tiles, held
// as mat4x4 so that one matrix product does 64 multiply-adds (far fewer SPIR-V
// instructions than the same work in vec4 fma's). No workgroup memory, no
// barriers. Rows and columns past the edge are clamped to the last valid one,
// so the inner loop has no bounds checks; their results are dropped at the
// store, which the thread does from a loop over its 16 tiles (unrolled, the
// stores would be most of the code, and so of the pipeline's compile time).
// A last partial slice of K (K not a multiple of 4) is masked.
//
// LDA, LDB, LDC (row strides of a block of a wider matrix; 0: the matrix's
// own width) and HALF_B (B holds packed float16 weights, widened as read; its
// words are f32 bits otherwise) as in matmul.wgsl.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
override WG_X: u32 = 4u;
override WG_Y: u32 = 1u;
override LDA: u32 = 0u;
override LDB: u32 = 0u;
override LDC: u32 = 0u;
override HALF_B: bool = false;

struct Params { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

fn lda() -> u32 { if (LDA != 0u) { return LDA; } return select(p.K, p.M, TRANS_A); }
fn ldb() -> u32 { if (LDB != 0u) { return LDB; } return select(p.N, p.K, TRANS_B); }
fn ldc() -> u32 { if (LDC != 0u) { return LDC; } return p.N; }

fn elemB(e: u32) -> f32 {
  if (HALF_B) { return unpack2x16float(B[e >> 1u])[e & 1u]; }
  return bitcast<f32>(B[e]);
}

// Element offsets: op(A)[i, k] = A[i * sAi + k * sAk], op(B)[k, j] = B[k * sBk + j * sBj].
fn sAi() -> u32 { return select(lda(), 1u, TRANS_A); }
fn sAk() -> u32 { return select(1u, lda(), TRANS_A); }
fn sBk() -> u32 { return select(ldb(), 1u, TRANS_B); }
fn sBj() -> u32 { return select(1u, ldb(), TRANS_B); }

// op(A)[rows, k] (k: four indices along K) as a matrix whose column i is row i of the tile.
fn tileA(rows: vec4<u32>, k: vec4<u32>, m: vec4<f32>) -> mat4x4<f32> {
  let o = rows * sAi();
  let d = k * sAk();
  return mat4x4<f32>(
    vec4<f32>(A[o.x + d.x], A[o.x + d.y], A[o.x + d.z], A[o.x + d.w]) * m,
    vec4<f32>(A[o.y + d.x], A[o.y + d.y], A[o.y + d.z], A[o.y + d.w]) * m,
    vec4<f32>(A[o.z + d.x], A[o.z + d.y], A[o.z + d.z], A[o.z + d.w]) * m,
    vec4<f32>(A[o.w + d.x], A[o.w + d.y], A[o.w + d.z], A[o.w + d.w]) * m);
}

// op(B)[k, cols] as a matrix whose column kk is row k[kk] of the tile.
fn tileB(cols: vec4<u32>, k: vec4<u32>, m: vec4<f32>) -> mat4x4<f32> {
  let o = cols * sBj();
  let d = k * sBk();
  return mat4x4<f32>(
    vec4<f32>(elemB(o.x + d.x), elemB(o.y + d.x), elemB(o.z + d.x), elemB(o.w + d.x)) * m.x,
    vec4<f32>(elemB(o.x + d.y), elemB(o.y + d.y), elemB(o.z + d.y), elemB(o.w + d.y)) * m.y,
    vec4<f32>(elemB(o.x + d.z), elemB(o.y + d.z), elemB(o.z + d.z), elemB(o.w + d.z)) * m.z,
    vec4<f32>(elemB(o.x + d.w), elemB(o.y + d.w), elemB(o.z + d.w), elemB(o.w + d.w)) * m.w);
}

fn clamped(first: u32, last: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
}

fn storeOne(row: u32, col: u32, v: f32) {
  if (col >= p.N) { return; }
  let o = row * ldc() + col;
  var x = v;
  if (ACCUMULATE) { x += C[o]; }
  C[o] = x;
}

fn storeRow(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  storeOne(row, col, v.x);
  storeOne(row, col + 1u, v.y);
  storeOne(row, col + 2u, v.z);
  storeOne(row, col + 3u, v.w);
}

// Rows row..row+3, columns col..col+3 of C from a tile accumulator (column i = row i).
fn storeTile(row: u32, col: u32, t: mat4x4<f32>) {
  if (col >= p.N) { return; }
  var b = vec4<f32>(0.0);
  if (HAS_BIAS) {
    let c = clamped(col, p.N - 1u);
    b = vec4<f32>(bias[c.x], bias[c.y], bias[c.z], bias[c.w]);
  }
  storeRow(row, col, t[0] + b);
  storeRow(row + 1u, col, t[1] + b);
  storeRow(row + 2u, col, t[2] + b);
  storeRow(row + 3u, col, t[3] + b);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_register_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 16u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let lastRow = p.M - 1u;
  let lastCol = p.N - 1u;
  let r0 = clamped(row0, lastRow); let r1 = clamped(row0 + 4u, lastRow);
  let r2 = clamped(row0 + 8u, lastRow); let r3 = clamped(row0 + 12u, lastRow);
  let c0 = clamped(col0, lastCol); let c1 = clamped(col0 + 4u, lastCol);
  let c2 = clamped(col0 + 8u, lastCol); let c3 = clamped(col0 + 12u, lastCol);
  // acc<p><q>: rows row0+4p.., columns col0+4q..; column i of the matrix is one row of C.
  var acc00 = mat4x4<f32>(); var acc01 = mat4x4<f32>(); var acc02 = mat4x4<f32>(); var acc03 = mat4x4<f32>();
  var acc10 = mat4x4<f32>(); var acc11 = mat4x4<f32>(); var acc12 = mat4x4<f32>(); var acc13 = mat4x4<f32>();
  var acc20 = mat4x4<f32>(); var acc21 = mat4x4<f32>(); var acc22 = mat4x4<f32>(); var acc23 = mat4x4<f32>();
  var acc30 = mat4x4<f32>(); var acc31 = mat4x4<f32>(); var acc32 = mat4x4<f32>(); var acc33 = mat4x4<f32>();
  // The last slice of K may be partial (K not a multiple of 4): its k
  // indices are clamped and their terms zeroed on both sides.
  let K = p.K;
  for (var k = 0u; k < K; k += 4u) {
    let ks = vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u);
    let m = select(vec4<f32>(0.0), vec4<f32>(1.0), ks < vec4<u32>(K));
    let kc = min(ks, vec4<u32>(K - 1u));
    let a0 = tileA(r0, kc, m); let a1 = tileA(r1, kc, m); let a2 = tileA(r2, kc, m); let a3 = tileA(r3, kc, m);
    let b0 = tileB(c0, kc, m); let b1 = tileB(c1, kc, m); let b2 = tileB(c2, kc, m); let b3 = tileB(c3, kc, m);
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
