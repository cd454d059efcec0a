import body from '../../../shaders/flm_noising.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('flm_noising', body, ['grid']);
const FLM_NOISING_FORWARD = SHADER.entry('flm_noising_forward', ['uniform', 'read', 'read', 'read', 'rw']);

/** x = (1 − γ_b)·ε + γ_b·onehot(target): one thread per element, one dispatch. */
export function flmNoising(
  ctx: GpuContext, x: Tensor, eps: Tensor, targets: Tensor, gamma: Tensor, batch: number, length: number, vocab: number,
): void {
  const n = batch * length * vocab;
  ctx.dispatch(FLM_NOISING_FORWARD, {}, [eps, targets, gamma, x], packUniforms([n, length, vocab]), elementGrid(ctx, n));
}
