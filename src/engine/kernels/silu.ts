import body from '../../../shaders/silu.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('silu', body, ['grid', 'math']);
const SILU_FORWARD = SHADER.entry('silu_forward', ['x', 'out']);
const SILU_BACKWARD = SHADER.entry('silu_backward', ['bx', 'dy', 'dx']);

/** out = x·σ(x) over n elements. One dispatch. */
export function silu(ctx: GpuContext, out: Tensor, x: Tensor, n: number): void {
  ctx.dispatch(SILU_FORWARD, {}, { x, out }, packUniforms([n]), elementGrid(ctx, n));
}

/** dx (+)= dy·silu'(x) over n elements (dx must not alias x or dy). One dispatch. */
export function siluBackward(ctx: GpuContext, dx: Tensor, x: Tensor, dy: Tensor, n: number, accumulate = false): void {
  ctx.dispatch(SILU_BACKWARD, { ACCUMULATE: accumulate ? 1 : 0 }, { bx: x, dy, dx }, packUniforms([n]), elementGrid(ctx, n));
}
