import body from '../../../shaders/gate_residual.wgsl?raw';
import type { GateParams, GateResidualBackwardTensors, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader, workgroupGrid } from './kernel.ts';

const SHADER = new Shader('gate_residual', body, ['grid', 'reduce']);
const GATE_RESIDUAL_FORWARD = SHADER.entry('gate_residual_forward', ['y', 'modv', 'out']);
const GATE_RESIDUAL_BACKWARD = SHADER.entry('gate_residual_backward', ['y', 'modv', 'out', 'dh', 'dmod']);
/** Columns per backward workgroup (CB in the WGSL). */
const COLUMN_BLOCK = 32;

function uniforms(p: GateParams): Uint8Array {
  const items = Math.ceil(p.rows / p.rowsPerItem);
  return packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.gateOffset, items, Math.ceil(p.dim / COLUMN_BLOCK)]);
}

/** h += gate·y, in place. */
export function gateResidual(ctx: GpuContext, h: Tensor, y: Tensor, mod: Tensor, p: GateParams): void {
  const n = p.rows * p.dim;
  if (n === 0) return;
  ctx.dispatch(GATE_RESIDUAL_FORWARD, {}, { y, modv: mod, out: h }, uniforms(p), elementGrid(ctx, n));
}

/** dy = dh·gate; dmod's gate columns = Σ_item-rows dh·y. One dispatch. */
export function gateResidualBackward(ctx: GpuContext, { dy, dmod, dh, y, mod }: GateResidualBackwardTensors, p: GateParams): void {
  if (p.rows === 0 || p.dim === 0) return;
  const items = Math.ceil(p.rows / p.rowsPerItem);
  ctx.dispatch(GATE_RESIDUAL_BACKWARD, {}, { y, modv: mod, out: dy, dh, dmod }, uniforms(p),
    workgroupGrid(ctx, Math.ceil(p.dim / COLUMN_BLOCK) * items));
}
