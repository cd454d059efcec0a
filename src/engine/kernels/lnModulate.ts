import forwardBody from '../../../shaders/layernorm_modulate.wgsl?raw';
import backwardBody from '../../../shaders/layernorm_modulate_backward.wgsl?raw';
import type { LnModulateBackwardTensors, LnModulateParams, LnModulateTensors, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, rowGrid, rowLanes, Shader, workgroupGrid } from './kernel.ts';

const FORWARD = new Shader('layernorm_modulate', forwardBody, ['grid', 'reduce']);
const BACKWARD = new Shader('layernorm_modulate_backward', backwardBody, ['grid', 'reduce']);
const LAYERNORM_MODULATE_FORWARD = FORWARD.entry('layernorm_modulate_forward', ['x', 'w', 'modv', 'out', 'meanOut', 'rstdOut']);
// acc is dx in the dx pass and dmod in the other two (see the shader).
const LAYERNORM_MODULATE_BACKWARD_DX = BACKWARD.entry('layernorm_modulate_backward_dx', ['dout', 'x', 'mean', 'rstd', 'w', 'modv', 'acc']);
const LAYERNORM_MODULATE_BACKWARD_COLSUM = BACKWARD.entry('layernorm_modulate_backward_colsum', ['dout', 'x', 'mean', 'rstd', 'acc']);
const LAYERNORM_MODULATE_BACKWARD_DW = BACKWARD.entry('layernorm_modulate_backward_dw', ['w', 'modv', 'acc', 'dw']);
/** Columns per colsum workgroup (CB in the WGSL). */
const COLUMN_BLOCK = 32;

export function lnModulate(ctx: GpuContext, { out, mean, rstd, x, w, mod }: LnModulateTensors, p: LnModulateParams): void {
  if (p.rows === 0 || p.dim === 0) return;
  const T = rowLanes(ctx, p.dim);
  ctx.dispatch(LAYERNORM_MODULATE_FORWARD, { T }, { x, w, modv: mod, out, meanOut: mean, rstdOut: rstd },
    packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset], [p.eps]),
    rowGrid(ctx, p.rows, T));
}

/**
 * dx += (accumulates), dw = , dmod's shift and scale columns = . Three
 * dispatches: the per-row dx, the per-item column sums (into dmod), and dw
 * (which also finishes dmod's scale columns).
 */
export function lnModulateBackward(
  ctx: GpuContext, { dx, dw, dmod, dout, x, mean, rstd, w, mod }: LnModulateBackwardTensors, p: LnModulateParams,
): void {
  if (p.rows === 0 || p.dim === 0) return;
  const T = rowLanes(ctx, p.dim);
  const items = Math.ceil(p.rows / p.rowsPerItem);
  const colBlocks = Math.ceil(p.dim / COLUMN_BLOCK);
  const u = packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset, items, colBlocks]);
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_DX, { T }, { dout, x, mean, rstd, w, modv: mod, acc: dx }, u, rowGrid(ctx, p.rows, T));
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_COLSUM, {}, { dout, x, mean, rstd, acc: dmod }, u, workgroupGrid(ctx, colBlocks * items));
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_DW, {}, { w, modv: mod, acc: dmod, dw }, u, elementGrid(ctx, p.dim));
}
