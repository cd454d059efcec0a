// C[M,N] (+)= op(A)·op(B) (+ bias[N]), f32 — the variant for CPU-emulated
// adapters (SwiftShader, lavapipe), where workgroup barriers cost far more
// than the memory traffic they save. Each thread computes a 4×4 block of C
// straight from global memory, reading 4 rows of A and 4 columns of B per k
// step into registers; there is no workgroup memory and no barrier. Same
// bindings, overrides and results as matmul.wgsl; the engine picks one per
// adapter (see kernels/matmul.ts).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;

struct Params { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

fn loadA(i: u32, k: u32) -> f32 {
  if (i >= p.M) { return 0.0; }
  if (TRANS_A) { return A[k * p.M + i]; }
  return A[i * p.K + k];
}

fn loadB(k: u32, j: u32) -> f32 {
  if (j >= p.N) { return 0.0; }
  if (TRANS_B) { return B[j * p.K + k]; }
  return B[k * p.N + j];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k = 0u; k < p.K; k++) {
    let b = vec4<f32>(loadB(k, col0), loadB(k, col0 + 1u), loadB(k, col0 + 2u), loadB(k, col0 + 3u));
    for (var i = 0u; i < 4u; i++) {
      acc[i] = fma(vec4<f32>(loadA(row0 + i, k)), b, acc[i]);
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[col]; }
      let o = row * p.N + col;
      if (ACCUMULATE) { v += C[o]; }
      C[o] = v;
    }
  }
}
