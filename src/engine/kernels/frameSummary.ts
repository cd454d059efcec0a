import body from '../../../shaders/frame_summary.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, rowChunks, rowGrid, rowLanes, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('frame_summary', body, ['grid', 'reduce']);
const FRAME_SUMMARY_TOPK = SHADER.entry('frame_summary_topk', ['x', 'ids', 'vals', 'flags']);
const FRAME_SUMMARY_ENTROPY = SHADER.entry('frame_summary_entropy', ['x', 'entropy']);

/**
 * The k best entries of each row of x [rows, cols] (k ≤ cols): ids and vals
 * [rows·k], best first, ties to the lower index (topKRows' order in
 * src/sampling/frames.ts); flags [rows] (u32) = 1 where the row holds NaN or
 * ±Inf. Rows in chunks when x exceeds the binding limit.
 */
export function topK(ctx: GpuContext, ids: Tensor, vals: Tensor, flags: Tensor, x: Tensor, rows: number, cols: number, k: number): void {
  if (rows === 0 || cols === 0 || k === 0) return;
  if (k > cols) throw new RangeError(`topK: k = ${k} is above the row length ${cols}`);
  const T = rowLanes(ctx, cols);
  if (bindable(ctx, x, ids, vals, flags)) {
    ctx.dispatch(FRAME_SUMMARY_TOPK, { T }, { x, ids, vals, flags }, packUniforms([rows, cols, k]), rowGrid(ctx, rows, T));
    return;
  }
  for (const [r0, r1] of rowChunks(ctx, rows, cols, 'topK')) {
    ctx.dispatch(FRAME_SUMMARY_TOPK, { T },
      {
        x: rowsView(ctx, x, r0, r1, cols), ids: rowsView(ctx, ids, r0, r1, k),
        vals: rowsView(ctx, vals, r0, r1, k), flags: rowsView(ctx, flags, r0, r1, 1),
      },
      packUniforms([r1 - r0, cols, k]), rowGrid(ctx, r1 - r0, T));
  }
}

/** out[r] = −Σ_j p_j·ln p_j over p_j > 0 of each row of p [rows, cols] (nats; NaN if the row holds a NaN). */
export function entropy(ctx: GpuContext, out: Tensor, p: Tensor, rows: number, cols: number): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  if (bindable(ctx, p, out)) {
    ctx.dispatch(FRAME_SUMMARY_ENTROPY, { T }, { x: p, entropy: out }, packUniforms([rows, cols, 0]), rowGrid(ctx, rows, T));
    return;
  }
  for (const [r0, r1] of rowChunks(ctx, rows, cols, 'entropy')) {
    ctx.dispatch(FRAME_SUMMARY_ENTROPY, { T }, { x: rowsView(ctx, p, r0, r1, cols), entropy: rowsView(ctx, out, r0, r1, 1) },
      packUniforms([r1 - r0, cols, 0]), rowGrid(ctx, r1 - r0, T));
  }
}
