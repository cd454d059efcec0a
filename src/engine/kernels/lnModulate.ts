import source from '../../../shaders/layernorm_modulate.wgsl?raw';
import backwardSource from '../../../shaders/layernorm_modulate_backward.wgsl?raw';
import type { LnModulateParams, Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const FORWARD: KernelDef = {
  name: 'layernorm_modulate', source, entry: 'main',
  bindings: ['uniform', 'read', 'read', 'read', 'rw', 'rw', 'rw'],
};
// The three backward entries share one binding list (see the shader).
const BWD_BINDINGS: KernelDef['bindings'] = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'rw', 'rw'];
const BACKWARD_DX: KernelDef = { name: 'layernorm_modulate_backward', source: backwardSource, entry: 'dx_main', bindings: BWD_BINDINGS };
const BACKWARD_COLS: KernelDef = { name: 'layernorm_modulate_backward', source: backwardSource, entry: 'colsum_main', bindings: BWD_BINDINGS };
const BACKWARD_DW: KernelDef = { name: 'layernorm_modulate_backward', source: backwardSource, entry: 'dw_main', bindings: BWD_BINDINGS };

const WG = 256;

/** Lanes per row: a power of two in [32, 256], about D/4 (so each lane owns ~4 elements). */
export function rowLanes(ctx: GpuContext, cols: number): number {
  // CPU-emulated adapters: one thread per row, so the lane reduction (and
  // its barriers) disappears; real GPUs: 32–256 lanes per row.
  if (ctx.tuning.rows === 'thread') return 1;
  let t = 32;
  while (t < WG && t * 4 < cols) t *= 2;
  return t;
}

export function lnModulate(
  ctx: GpuContext, out: Tensor, mean: Tensor, rstd: Tensor, x: Tensor, w: Tensor, mod: Tensor, p: LnModulateParams,
): void {
  if (p.rows === 0 || p.dim === 0) return;
  const T = rowLanes(ctx, p.dim);
  ctx.dispatch(FORWARD, { T }, [x, w, mod, out, mean, rstd],
    packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset], [p.eps]),
    grid(Math.ceil(p.rows / (WG / T))));
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
  const colBlocks = Math.ceil(p.dim / 32);
  const u = packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.shiftOffset, p.scaleOffset, items, colBlocks]);
  const inputs = [dout, x, mean, rstd, w, mod];
  ctx.dispatch(BACKWARD_DX, { T }, [...inputs, dx, dw], u, grid(Math.ceil(p.rows / (WG / T))));
  ctx.dispatch(BACKWARD_COLS, {}, [...inputs, dmod, dw], u, grid(colBlocks * items));
  ctx.dispatch(BACKWARD_DW, {}, [...inputs, dmod, dw], u, [Math.ceil(p.dim / 64), 1, 1]);
}
