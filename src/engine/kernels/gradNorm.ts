import body from '../../../shaders/grad_norm.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { Shader, WORKGROUP_SIZE } from './kernel.ts';

const SHADER = new Shader('grad_norm', body, ['reduce']);
const GRAD_NORM_PARTIALS = SHADER.entry('grad_norm_partials', ['x', 'scratch_out']);
const GRAD_NORM_FINISH = SHADER.entry('grad_norm_finish', ['scratch_in', 'out']);
/** Elements one workgroup consumes per loop iteration (4 per thread). */
const BLOCK = 4 * WORKGROUP_SIZE;
/** Stage-1 workgroups at most (enough to fill a large GPU; stage 2 sums ≤ 4 per thread). */
const MAX_PARTIALS = 1024;

/** Number of stage-1 workgroups (partial sums) for n elements. */
export function gradNormPartials(n: number): number {
  return Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / BLOCK)));
}

/** Floats of scratch globalNormSq needs for n elements (monotone in n, at most 1024). */
export function gradNormScratchSize(n: number): number {
  return gradNormPartials(n);
}

/**
 * out[0] = Σ_{i<n} x[i]², deterministic two-stage reduction (two dispatches).
 * scratch holds gradNormScratchSize(n) floats; x, scratch and out must be
 * three different buffers. NaN/Inf in x makes the result non-finite.
 */
export function globalNormSq(ctx: GpuContext, out: Tensor, scratch: Tensor, x: Tensor, n: number): void {
  const partials = gradNormPartials(n);
  if (scratch.size < partials) throw new RangeError(`globalNormSq: scratch ${scratch.label} has ${scratch.size} floats, needs ${partials}`);
  if (out.size < 1) throw new RangeError(`globalNormSq: out ${out.label} is empty`);
  if (x.size < n) throw new RangeError(`globalNormSq: x ${x.label} has ${x.size} floats < n = ${n}`);
  const uniforms = packUniforms([n, partials]);
  ctx.dispatch(GRAD_NORM_PARTIALS, {}, { x, scratch_out: scratch }, uniforms, [partials, 1, 1]);
  ctx.dispatch(GRAD_NORM_FINISH, {}, { scratch_in: scratch, out }, uniforms, [1, 1, 1]);
}
