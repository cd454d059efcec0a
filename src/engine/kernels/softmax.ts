import body from '../../../shaders/softmax.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, rowChunks, rowGrid, rowLanes, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('softmax', body, ['grid', 'reduce']);
const SOFTMAX_FORWARD = SHADER.entry('softmax_forward', ['x', 'out']);

function run(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, log: boolean): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  if (bindable(ctx, x, out)) {
    ctx.dispatch(SOFTMAX_FORWARD, { T, LOG: log ? 1 : 0 }, { x, out }, packUniforms([rows, cols]), rowGrid(ctx, rows, T));
    return;
  }
  // Rows are independent: chunks of rows, each bound as its own views.
  for (const [r0, r1] of rowChunks(ctx, rows, cols, 'softmax')) {
    ctx.dispatch(SOFTMAX_FORWARD, { T, LOG: log ? 1 : 0 }, { x: rowsView(ctx, x, r0, r1, cols), out: rowsView(ctx, out, r0, r1, cols) },
      packUniforms([r1 - r0, cols]), rowGrid(ctx, r1 - r0, T));
  }
}

/** Row-wise softmax of [rows, cols]; one workgroup-memory reduction per row. */
export function softmax(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number): void {
  run(ctx, out, x, rows, cols, false);
}

/** Row-wise log-softmax of [rows, cols]. */
export function logSoftmax(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number): void {
  run(ctx, out, x, rows, cols, true);
}
