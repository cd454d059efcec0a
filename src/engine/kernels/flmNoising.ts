import body from '../../../shaders/flm_noising.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, elementGrid, rangeChunks, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('flm_noising', body, ['grid']);
const FLM_NOISING_FORWARD = SHADER.entry('flm_noising_forward', ['eps', 'targets', 'gamma', 'x']);

/** x = (1 − γ_b)·ε + γ_b·onehot(target): one thread per element, one dispatch. */
export function flmNoising(
  ctx: GpuContext, x: Tensor, eps: Tensor, targets: Tensor, gamma: Tensor, batch: number, length: number, vocab: number,
): void {
  const n = batch * length * vocab;
  if (bindable(ctx, eps, x)) {
    ctx.dispatch(FLM_NOISING_FORWARD, {}, { eps, targets, gamma, x }, packUniforms([n, length, vocab, 0]), elementGrid(ctx, n));
    return;
  }
  for (const [i0, i1] of rangeChunks(ctx, n)) {
    ctx.dispatch(FLM_NOISING_FORWARD, {}, { eps: rowsView(ctx, eps, i0, i1, 1), targets, gamma, x: rowsView(ctx, x, i0, i1, 1) },
      packUniforms([i1 - i0, length, vocab, i0]), elementGrid(ctx, i1 - i0));
  }
}
