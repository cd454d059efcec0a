import body from '../../../shaders/adamw.wgsl?raw';
import type { AdamWParams, AdamWTensors, Tensor } from '../backend.ts';
import { adamwCoefficients } from '../reference/adamw.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

export type { AdamWParams } from '../backend.ts';

const SHADER = new Shader('adamw', body, ['grid']);
const ADAMW_STEP = SHADER.entry('adamw_step', ['grads', 'norm_sq', 'params', 'm', 'v']);

/**
 * One AdamW step with global-norm clipping over n elements, in place on
 * params, m and v (one dispatch). normSq[0] = Σ grads² from globalNormSq; if
 * it is NaN/Inf the step leaves everything unchanged. hp.lr and hp.step are
 * read at every run of a compiled program (the uniforms are a function).
 * grads and normSq must not share a buffer with params, m or v.
 */
export function adamw(ctx: GpuContext, { params, grads, m, v, normSq }: AdamWTensors, n: number, hp: AdamWParams): void {
  for (const t of [params, grads, m, v]) {
    if (t.size < n) throw new RangeError(`adamw: ${t.label} has ${t.size} floats < n = ${n}`);
  }
  if (normSq.size < 1) throw new RangeError(`adamw: normSq ${normSq.label} is empty`);
  const { beta1, beta2, eps, maxGradNorm } = hp;
  const uniforms = (): Uint8Array => {
    const c = adamwCoefficients(hp);
    return packUniforms([n], [c.decay, beta1, 1 - beta1, beta2, 1 - beta2, eps, maxGradNorm, c.stepSize, c.bc2Sqrt]);
  };
  ctx.dispatch(ADAMW_STEP, {}, { grads, norm_sq: normSq, params, m, v }, uniforms, elementGrid(ctx, n));
}
