// out[N] (+)= Σ_r x[r, N]: the bias gradients. A workgroup owns 64 columns;
// its WORKGROUP_SIZE/64 row-lanes stride over the rows (coalesced along
// columns) and their partial sums are added in lane order, one after the
// other (a fixed order, so the result is deterministic).

override ACCUMULATE: bool = false;
const COLS: u32 = 64u;                     // columns per workgroup
const ROW_LANES: u32 = WORKGROUP_SIZE / COLS;

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(COLS, ROW_LANES)
fn sum_rows_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wg.x * COLS + lid.x;
  var acc = 0.0;
  if (col < p.cols) {
    for (var r = lid.y; r < p.rows; r += ROW_LANES) { acc += x[r * p.cols + col]; }
  }
  partial[lid.y * COLS + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && col < p.cols) {
    var s = partial[lid.x];
    for (var k = 1u; k < ROW_LANES; k++) { s += partial[k * COLS + lid.x]; }
    if (ACCUMULATE) { s += out[col]; }
    out[col] = s;
  }
}
