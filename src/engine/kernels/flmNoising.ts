import source from '../../../shaders/flm_noising.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const NOISING: KernelDef = { name: 'flm_noising', source, entry: 'main', bindings: ['uniform', 'read', 'read', 'read', 'rw'] };

/** x = (1 − γ_b)·ε + γ_b·onehot(target): one thread per element, one dispatch. */
export function flmNoising(
  ctx: GpuContext, x: Tensor, eps: Tensor, targets: Tensor, gamma: Tensor, batch: number, length: number, vocab: number,
): void {
  const n = batch * length * vocab;
  ctx.dispatch(NOISING, {}, [eps, targets, gamma, x], packUniforms([n, length, vocab]), grid(Math.ceil(n / 256)));
}
