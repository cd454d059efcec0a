// Workgroup reductions: the one fixed-order tree that every kernel reducing a
// row (or a block of columns) across threads uses, one function per operator.
// Wrappers prepend this file after the WORKGROUP_SIZE declaration (see
// src/engine/kernels/kernel.ts).
//
// The threads of a workgroup form groups of `lanes` threads (a power of two,
// lanes ≤ WORKGROUP_SIZE); thread li is lane `lane` of its group, and the
// lanes of a group lie `stride` apart in local_invocation_index: stride 1 for
// rows of contiguous lanes (lane = li % lanes: the row_* helpers), the
// workgroup's x size for column blocks (lane = local_invocation_id.y: the
// column_* helpers). Every thread contributes one value and receives its
// group's result.
//
// The order is fixed by `lanes` alone: at each step h = lanes/2, lanes/4, …, 1
// lane l < h combines its value with lane l + h's, so results are
// deterministic (no atomics) and each kernel keeps the exact summation order
// it has always had. With lanes = 1 (one thread per row, the CPU-emulated
// adapters' tuning) the tree is empty and the value is returned as is.
//
// Call from uniform control flow (all threads of the workgroup, with uniform
// `lanes` and `stride`): every step ends in a workgroup barrier. Each value
// type has its own scratch, so two reductions of the same type in one entry
// point need a workgroupBarrier() between the first one's result being read
// and the second one starting. WGSL has no generics, so each operator below
// spells out the same tree over its own type (one tree over vec4 with a
// run-time operator switch measured up to 2× slower on SwiftShader).

var<workgroup> reduce_f32: array<f32, WORKGROUP_SIZE>;
var<workgroup> reduce_vec2: array<vec2<f32>, WORKGROUP_SIZE>;
var<workgroup> reduce_vec4: array<vec4<f32>, WORKGROUP_SIZE>;

/** Σ over each group of `lanes` threads `stride` apart. */
fn column_sum(li: u32, lane: u32, lanes: u32, stride: u32, v: f32) -> f32 {
  reduce_f32[li] = v;
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) { reduce_f32[li] = reduce_f32[li] + reduce_f32[li + h * stride]; }
    workgroupBarrier();
  }
  return reduce_f32[li - lane * stride];
}

/** Two sums at once over each group of `lanes` threads `stride` apart. */
fn column_sum2(li: u32, lane: u32, lanes: u32, stride: u32, v: vec2<f32>) -> vec2<f32> {
  reduce_vec2[li] = v;
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) { reduce_vec2[li] = reduce_vec2[li] + reduce_vec2[li + h * stride]; }
    workgroupBarrier();
  }
  return reduce_vec2[li - lane * stride];
}

/** Σ over the row's lanes. */
fn row_sum(li: u32, lane: u32, lanes: u32, v: f32) -> f32 {
  return column_sum(li, lane, lanes, 1u, v);
}

/** Two sums at once over the row's lanes. */
fn row_sum2(li: u32, lane: u32, lanes: u32, v: vec2<f32>) -> vec2<f32> {
  return column_sum2(li, lane, lanes, 1u, v);
}

/** max over the row's lanes. */
fn row_max(li: u32, lane: u32, lanes: u32, v: f32) -> f32 {
  reduce_f32[li] = v;
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) { reduce_f32[li] = max(reduce_f32[li], reduce_f32[li + h]); }
    workgroupBarrier();
  }
  return reduce_f32[li - lane];
}

/** Merge the lanes' online-softmax pairs (m, Σ exp(x − m)) into the row's (max, Σ exp(x − max)). */
fn row_max_sumexp(li: u32, lane: u32, lanes: u32, m: f32, s: f32) -> vec2<f32> {
  reduce_vec2[li] = vec2<f32>(m, s);
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) {
      let a = reduce_vec2[li];
      let b = reduce_vec2[li + h];
      let mx = max(a.x, b.x);
      reduce_vec2[li] = vec2<f32>(mx, a.y * exp(a.x - mx) + b.y * exp(b.x - mx));
    }
    workgroupBarrier();
  }
  return reduce_vec2[li - lane];
}

/** Merge the lanes' Welford triples (count, mean, M2) into the row's, by Chan's pairwise formula. */
fn row_moments(li: u32, lane: u32, lanes: u32, n: f32, mean: f32, m2: f32) -> vec3<f32> {
  reduce_vec4[li] = vec4<f32>(n, mean, m2, 0.0);
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) {
      let a = reduce_vec4[li];
      let b = reduce_vec4[li + h];
      // An empty side (count 0: a lane past the row's end) leaves a unchanged.
      if (b.x > 0.0) {
        let nt = a.x + b.x;
        let d = b.y - a.y;
        reduce_vec4[li] = vec4<f32>(nt, a.y + d * (b.x / nt), a.z + b.z + d * d * (a.x * (b.x / nt)), 0.0);
      }
    }
    workgroupBarrier();
  }
  return reduce_vec4[li - lane].xyz;
}

var<workgroup> reduce_best: array<vec2<u32>, WORKGROUP_SIZE>;

/** No candidate: loses to every candidate in row_best. */
const NO_INDEX: u32 = 0xffffffffu;

/** Whether candidate (value a, index ia) ranks before (b, ib): larger value first, ties to the lower index; NO_INDEX ranks last. */
fn ranks_before(a: f32, ia: u32, b: f32, ib: u32) -> bool {
  if (ia == NO_INDEX) { return false; }
  if (ib == NO_INDEX) { return true; }
  return a > b || (a == b && ia < ib);
}

/**
 * The best (value, index) candidate over the row's lanes by ranks_before:
 * returns (bitcast<u32>(value), index); index NO_INDEX when no lane had one.
 * The order is total on non-NaN values, so the result does not depend on the
 * tree: it is the row's top candidate whatever the lane count.
 */
fn row_best(li: u32, lane: u32, lanes: u32, v: f32, idx: u32) -> vec2<u32> {
  reduce_best[li] = vec2<u32>(bitcast<u32>(v), idx);
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h >>= 1u) {
    if (lane < h) {
      let a = reduce_best[li];
      let b = reduce_best[li + h];
      if (ranks_before(bitcast<f32>(b.x), b.y, bitcast<f32>(a.x), a.y)) { reduce_best[li] = b; }
    }
    workgroupBarrier();
  }
  return reduce_best[li - lane];
}
