import source from '../../../shaders/gate_residual.wgsl?raw';
import type { GateParams, Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const FORWARD: KernelDef = { name: 'gate_residual', source, entry: 'forward', bindings: ['uniform', 'read', 'read', 'rw'] };
const BACKWARD: KernelDef = {
  name: 'gate_residual', source, entry: 'backward',
  bindings: ['uniform', 'read', 'read', 'rw', 'read', 'rw'],
};

function uniforms(p: GateParams): Uint8Array {
  const items = Math.ceil(p.rows / p.rowsPerItem);
  return packUniforms([p.rows, p.dim, p.rowsPerItem, p.modStride, p.gateOffset, items, Math.ceil(p.dim / 32)]);
}

/** h += gate·y, in place. */
export function gateResidual(ctx: GpuContext, h: Tensor, y: Tensor, mod: Tensor, p: GateParams): void {
  const n = p.rows * p.dim;
  if (n === 0) return;
  ctx.dispatch(FORWARD, {}, [y, mod, h], uniforms(p), grid(Math.ceil(n / 256)));
}

/** dy = dh·gate; dmod's gate columns = Σ_item-rows dh·y. One dispatch. */
export function gateResidualBackward(ctx: GpuContext, dy: Tensor, dmod: Tensor, dh: Tensor, y: Tensor, mod: Tensor, p: GateParams): void {
  if (p.rows === 0 || p.dim === 0) return;
  const items = Math.ceil(p.rows / p.rowsPerItem);
  ctx.dispatch(BACKWARD, {}, [y, mod, dy, dh, dmod], uniforms(p), grid(Math.ceil(p.dim / 32) * items));
}
