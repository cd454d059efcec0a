// What a sampling frame shows per position, computed on the device so that
// nothing of size [rows, cols] = [count·L, V] is read back per step
// (src/sampling/frames.ts holds the host reference: topKRows, rowEntropy).
// Rows of x [rows, cols]; WORKGROUP_SIZE/T rows of T lanes per workgroup
// (flat_row, lib/grid.wgsl; T = 1 on CPU-emulated adapters).
//
// frame_summary_topk: the k best entries of each row, ids[r·k + i] and
// vals[r·k + i] best first — larger value first, ties to the lower index,
// exactly topKRows' order — and flags[r] = 1 when the row holds a NaN or
// ±Inf (0 otherwise; the candidates of such a row are unspecified). Round i
// finds the best entry ranked after round i − 1's pick: each lane scans its
// strided entries, row_best (lib/reduce.wgsl) merges the lanes. k rounds
// over the row, no per-thread lists: any k, no workgroup memory beyond the
// reductions, deterministic. ids[r·k] is the row's argmax.
//
// frame_summary_entropy: out[r] = −Σ_j x_j·ln x_j over the entries x_j > 0 of
// a probability row (nats); each lane keeps a compensated (Kahan) sum of its
// entries, row_sum merges the lanes.

override T: u32 = 1u;

struct Params { rows: u32, cols: u32, k: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;

// ---- frame_summary_topk
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> vals: array<f32>;
@group(0) @binding(4) var<storage, read_write> flags: array<u32>;

// ---- frame_summary_entropy (a separate entry point)
@group(0) @binding(2) var<storage, read_write> entropy: array<f32>;

/** NaN or ±Inf, from the bits (comparisons with NaN may be folded away by a compiler). */
fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn frame_summary_topk(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let C = p.cols;
  let base = r * C;

  var bad = 0.0;
  var prevV = 0.0;
  var prevI = NO_INDEX;
  for (var round = 0u; round < p.k; round++) {
    var bv = 0.0;
    var bi = NO_INDEX;
    if (live) {
      for (var j = lane; j < C; j += T) {
        let v = x[base + j];
        if (round == 0u && non_finite(v)) { bad = 1.0; }
        if (is_nan(v)) { continue; }
        // Entries ranked after the previous pick only (the first round takes all).
        if (round > 0u && !ranks_before(prevV, prevI, v, j)) { continue; }
        if (ranks_before(v, j, bv, bi)) { bv = v; bi = j; }
      }
    }
    let best = row_best(li, lane, T, bv, bi);
    prevV = bitcast<f32>(best.x);
    prevI = best.y;
    if (live && lane == 0u) {
      ids[r * p.k + round] = best.y;
      vals[r * p.k + round] = prevV;
    }
    // row_best's scratch is read above by every lane before the next round writes it.
    workgroupBarrier();
  }
  let anyBad = row_max(li, lane, T, bad);
  if (live && lane == 0u) { flags[r] = select(0u, 1u, anyBad > 0.0); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn frame_summary_entropy(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let lane = li % T;
  let r = flat_row(wg, nwg, li, T);
  let live = r < p.rows;
  let C = p.cols;
  let base = r * C;

  var s = 0.0;
  var comp = 0.0;
  var sawNan = false;
  if (live) {
    for (var j = lane; j < C; j += T) {
      let q = x[base + j];
      if (is_nan(q)) { sawNan = true; }
      if (q > 0.0) {
        // s += q·ln q, compensated.
        let y = q * log(q) - comp;
        let t = s + y;
        comp = (t - s) - y;
        s = t;
      }
    }
  }
  let total = row_sum(li, lane, T, s);
  // row_max reuses row_sum's scratch: every lane has read its result first.
  workgroupBarrier();
  let anyNan = row_max(li, lane, T, select(0.0, 1.0, sawNan));
  if (live && lane == 0u) {
    // A zero sum (a one-hot row) gives +0, as the reference does (−0 would compare equal but differ in bits).
    let h = select(-total, 0.0, total == 0.0);
    entropy[r] = select(h, bitcast<f32>(0x7fc00000u | (p.cols & 0u)), anyNan > 0.0);
  }
}
