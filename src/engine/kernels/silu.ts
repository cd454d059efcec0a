import body from '../../../shaders/silu.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('silu', body, ['grid', 'math']);
const SILU_FORWARD = SHADER.entry('silu_forward', ['uniform', 'read', 'rw']);
const SILU_BACKWARD = SHADER.entry('silu_backward', ['uniform', 'read', 'read', 'rw']);

/** out = x·σ(x) over n elements. One dispatch. */
export function silu(ctx: GpuContext, out: Tensor, x: Tensor, n: number): void {
  ctx.dispatch(SILU_FORWARD, {}, [x, out], packUniforms([n]), elementGrid(ctx, n));
}

/** dx (+)= dy·silu'(x) over n elements (dx must not alias x or dy). One dispatch. */
export function siluBackward(ctx: GpuContext, dx: Tensor, x: Tensor, dy: Tensor, n: number, accumulate = false): void {
  ctx.dispatch(SILU_BACKWARD, { ACCUMULATE: accumulate ? 1 : 0 }, [x, dy, dx], packUniforms([n]), elementGrid(ctx, n));
}
