import forwardBody from '../../../shaders/layernorm_modulate.wgsl?raw';
import backwardBody from '../../../shaders/layernorm_modulate_backward.wgsl?raw';
import type { LnModulateParams, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';
import { elementGrid, rowGrid, rowLanes, Shader, workgroupGrid } from './kernel.ts';

const FORWARD = new Shader('layernorm_modulate', forwardBody, ['grid', 'reduce']);
const BACKWARD = new Shader('layernorm_modulate_backward', backwardBody, ['grid', 'reduce']);
const LAYERNORM_MODULATE_FORWARD = FORWARD.entry('layernorm_modulate_forward', ['uniform', 'read', 'read', 'read', 'rw', 'rw', 'rw']);
// The three backward entries share one binding list (see the shader).
const BWD_BINDINGS: KernelDef['bindings'] = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'rw', 'rw'];
const LAYERNORM_MODULATE_BACKWARD_DX = BACKWARD.entry('layernorm_modulate_backward_dx', BWD_BINDINGS);
const LAYERNORM_MODULATE_BACKWARD_COLSUM = BACKWARD.entry('layernorm_modulate_backward_colsum', BWD_BINDINGS);
const LAYERNORM_MODULATE_BACKWARD_DW = BACKWARD.entry('layernorm_modulate_backward_dw', BWD_BINDINGS);
/** Columns per colsum workgroup (CB in the WGSL). */
const COLUMN_BLOCK = 32;

export function lnModulate(
  ctx: GpuContext, out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, mod: Tensor, p: LnModulateParams,
): void {
  if (p.rows === 0 || p.dim === 0) return;
  const T = rowLanes(ctx, p.dim);
  ctx.dispatch(LAYERNORM_MODULATE_FORWARD, { T }, [x, w, mod, out, mean, rstd],
    packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset], [p.eps]),
    rowGrid(ctx, p.rows, T));
}

/**
 * dx += (accumulates), dw = , dmod's shift and scale columns = . Three
 * dispatches: the per-row dx, the per-item column sums (into dmod), and dw
 * (which also finishes dmod's scale columns).
 */
export function lnModulateBackward(
  ctx: GpuContext, dx: Tensor, dw: Tensor, dmod: Tensor,
  dout: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, w: Tensor, mod: Tensor,
  p: LnModulateParams,
): void {
  if (p.rows === 0 || p.dim === 0) return;
  const T = rowLanes(ctx, p.dim);
  const items = Math.ceil(p.rows / p.rowsPerItem);
  const colBlocks = Math.ceil(p.dim / COLUMN_BLOCK);
  const u = packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset, items, colBlocks]);
  const inputs = [dout, x, mean, rstd, w, mod];
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_DX, { T }, [...inputs, dx, dw], u, rowGrid(ctx, p.rows, T));
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_COLSUM, {}, [...inputs, dmod, dw], u, workgroupGrid(ctx, colBlocks * items));
  ctx.dispatch(LAYERNORM_MODULATE_BACKWARD_DW, {}, [...inputs, dmod, dw], u, elementGrid(ctx, p.dim));
}
