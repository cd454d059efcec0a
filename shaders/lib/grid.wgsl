// Flat indices over the dispatch grid. A wrapper spreads G workgroups over x
// and y (workgroupGrid in src/engine/kernels/kernel.ts: x ≤ 65 535, y =
// ⌈G / x⌉), so a kernel numbers its workgroups x + y·nx; the last row of
// the grid may hold a few workgroups past G, which every kernel bounds-checks.
// WORKGROUP_SIZE is declared by the wrapper (kernel.ts), ahead of this file.

/** The workgroup's number in the flattened grid: x + y·nx. */
fn flat_workgroup(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wg.x + wg.y * nwg.x;
}

/** One thread per element: the element of invocation li of a WORKGROUP_SIZE workgroup. */
fn flat_index(wg: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return flat_workgroup(wg, nwg) * WORKGROUP_SIZE + li;
}

/** Row kernels: a workgroup holds WORKGROUP_SIZE / lanes rows of `lanes` threads; the row of invocation li. */
fn flat_row(wg: vec3<u32>, nwg: vec3<u32>, li: u32, lanes: u32) -> u32 {
  return flat_workgroup(wg, nwg) * (WORKGROUP_SIZE / lanes) + li / lanes;
}
