import body from '../../../shaders/gelu.wgsl?raw';
import type { GeluApprox, Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('gelu', body, ['grid', 'math']);
const GELU_FORWARD = SHADER.entry('gelu_forward', ['x', 'out']);
const GELU_BACKWARD = SHADER.entry('gelu_backward', ['bx', 'dy', 'dx']);

/** out = gelu(x) over n elements (tanh approximation or exact erf form). One dispatch. */
export function gelu(ctx: GpuContext, out: Tensor, x: Tensor, n: number, approx: GeluApprox): void {
  ctx.dispatch(GELU_FORWARD, { ERF: approx === 'erf' ? 1 : 0 }, { x, out }, packUniforms([n]), elementGrid(ctx, n));
}

/** dx (+)= dy·gelu'(x) over n elements (dx must not alias x or dy). One dispatch. */
export function geluBackward(
  ctx: GpuContext, dx: Tensor, x: Tensor, dy: Tensor, n: number, approx: GeluApprox, accumulate = false,
): void {
  const constants = { ERF: approx === 'erf' ? 1 : 0, ACCUMULATE: accumulate ? 1 : 0 };
  ctx.dispatch(GELU_BACKWARD, constants, { bx: x, dy, dx }, packUniforms([n]), elementGrid(ctx, n));
}
