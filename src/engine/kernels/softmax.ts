import source from '../../../shaders/softmax.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';
import { rowLanes } from './lnModulate.ts';

const SOFTMAX: KernelDef = { name: 'softmax', source, entry: 'main', bindings: ['uniform', 'read', 'rw'] };

function run(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number, log: boolean): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  ctx.dispatch(SOFTMAX, { T, LOG: log ? 1 : 0 }, [x, out], packUniforms([rows, cols]), grid(Math.ceil(rows / (256 / T))));
}

/** Row-wise softmax of [rows, cols]; one workgroup-memory reduction per row. */
export function softmax(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number): void {
  run(ctx, out, x, rows, cols, false);
}

/** Row-wise log-softmax of [rows, cols]. */
export function logSoftmax(ctx: GpuContext, out: Tensor, x: Tensor, rows: number, cols: number): void {
  run(ctx, out, x, rows, cols, true);
}
