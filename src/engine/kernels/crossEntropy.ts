import source from '../../../shaders/cross_entropy.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';
import { rowLanes } from './lnModulate.ts';

const FORWARD: KernelDef = { name: 'cross_entropy', source, entry: 'forward', bindings: ['uniform', 'read', 'read', 'rw'] };
const BACKWARD: KernelDef = { name: 'cross_entropy', source, entry: 'backward', bindings: ['uniform', 'read', 'read', 'rw', 'read'] };

/** ce[r] = logsumexp(logits[r]) − logits[r, target[r]] (targets: a u32 tensor). */
export function crossEntropy(ctx: GpuContext, ce: Tensor, logits: Tensor, targets: Tensor, rows: number, cols: number): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  ctx.dispatch(FORWARD, { T }, [logits, targets, ce], packUniforms([rows, cols]), grid(Math.ceil(rows / (256 / T))));
}

/** dlogits[r] = (softmax(logits[r]) − onehot(target[r]))·dce[r]. */
export function crossEntropyBackward(
  ctx: GpuContext, dlogits: Tensor, logits: Tensor, targets: Tensor, dce: Tensor, rows: number, cols: number,
): void {
  if (rows === 0 || cols === 0) return;
  const T = rowLanes(ctx, cols);
  ctx.dispatch(BACKWARD, { T }, [logits, targets, dlogits, dce], packUniforms([rows, cols]), grid(Math.ceil(rows / (256 / T))));
}
