// out[N] (+)= Σ_r x[r, N]: the bias gradients. A workgroup owns 64 columns;
// its 4 row-lanes stride over the rows (coalesced along columns) and the 4
// partial sums are combined in workgroup memory.

override ACCUMULATE: bool = false;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * 64u + lid.x;
  var acc = 0.0;
  if (col < p.cols) {
    for (var r = lid.y; r < p.rows; r += 4u) { acc += x[r * p.cols + col]; }
  }
  partial[lid.y * 64u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && col < p.cols) {
    var s = partial[lid.x] + partial[64u + lid.x] + partial[128u + lid.x] + partial[192u + lid.x];
    if (ACCUMULATE) { s += out[col]; }
    out[col] = s;
  }
}
