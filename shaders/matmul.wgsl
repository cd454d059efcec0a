// C[M,N] (+)= op(A)·op(B) (+ bias[N]), f32.
// A is [M,K] (or [K,M] when TRANS_A), B is [K,N] (or [N,K] when TRANS_B).
// A 16×16 workgroup computes a 64×64 tile of C, each thread a 4×4 block;
// K is walked in slices of 16 staged through workgroup memory, so every
// element of A and B is read from global memory once per tile. The tile
// geometry is this kernel's own: it uses neither WORKGROUP_SIZE nor a prelude.
//
// Large operands (kernels/matmul.ts splits a product whose tensors exceed
// the binding limit into blocks): LDA, LDB, LDC are the row strides of A, B
// and C in elements when a block is a window of a wider matrix (0: the
// matrix's own width, as for a whole product). HALF_B: B holds float16
// values, two per 32-bit word (element e in word e/2, low half first), widened
// to f32 as they are read; otherwise the words are B's f32 bits.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
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

const TILE: u32 = 64u;
const BK: u32 = 16u;
const SIDE: u32 = 16u;            // the workgroup is SIDE × SIDE threads
const THREADS: u32 = SIDE * SIDE; // each stages BK·TILE / THREADS = 4 elements per operand

var<workgroup> As: array<f32, BK * TILE>; // [BK][TILE], k-major
var<workgroup> Bs: array<f32, BK * TILE>; // [BK][TILE], k-major

fn loadA(i: u32, k: u32) -> f32 {
  if (i >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return A[k * lda() + i]; }
  return A[i * lda() + k];
}

fn loadB(k: u32, j: u32) -> f32 {
  if (k >= p.K || j >= p.N) { return 0.0; }
  if (TRANS_B) { return elemB(j * ldb() + k); }
  return elemB(k * ldb() + j);
}

@compute @workgroup_size(SIDE, SIDE)
fn matmul_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wg.y * TILE;
  let col0 = wg.x * TILE;
  let t = lid.y * SIDE + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }

  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // THREADS threads stage the BK·TILE elements of each tile, 4 apiece. The
    // index order follows the operand's memory order for coalesced reads.
    for (var r = 0u; r < 4u; r++) {
      let e = t + r * THREADS;
      if (TRANS_A) {
        let kk = e / TILE; let ii = e % TILE;
        As[kk * TILE + ii] = loadA(row0 + ii, k0 + kk);
      } else {
        let ii = e / BK; let kk = e % BK;
        As[kk * TILE + ii] = loadA(row0 + ii, k0 + kk);
      }
      if (TRANS_B) {
        let jj = e / BK; let kk = e % BK;
        Bs[kk * TILE + jj] = loadB(k0 + kk, col0 + jj);
      } else {
        let kk = e / TILE; let jj = e % TILE;
        Bs[kk * TILE + jj] = loadB(k0 + kk, col0 + jj);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * TILE + lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j++) { b[j] = Bs[kk * TILE + lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y + 16u * i;
    if (row >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + 16u * j;
      if (col >= p.N) { continue; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[col]; }
      let o = row * ldc() + col;
      if (ACCUMULATE) { v += C[o]; }
      C[o] = v;
    }
  }
}
