import expLib from '../../../shaders/lib/exp.wgsl?raw';
import sourceBody from '../../../shaders/gelu.wgsl?raw';
import type { GeluApprox, Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const source = `${expLib}\n${sourceBody}`;

const GELU: KernelDef = { name: 'gelu', source, entry: 'gelu_forward', bindings: ['uniform', 'read', 'rw'] };
const GELU_BACKWARD: KernelDef = { name: 'gelu', source, entry: 'gelu_backward', bindings: ['uniform', 'read', 'read', 'rw'] };
const WG = 256;

/** out = gelu(x) over n elements (tanh approximation or exact erf form). One dispatch. */
export function gelu(ctx: GpuContext, out: Tensor, x: Tensor, n: number, approx: GeluApprox): void {
  ctx.dispatch(GELU, { ERF: approx === 'erf' ? 1 : 0 }, [x, out], packUniforms([n]), grid(Math.ceil(n / WG)));
}

/** dx (+)= dy·gelu'(x) over n elements (dx must not alias x or dy). One dispatch. */
export function geluBackward(
  ctx: GpuContext, dx: Tensor, x: Tensor, dy: Tensor, n: number, approx: GeluApprox, accumulate = false,
): void {
  const constants = { ERF: approx === 'erf' ? 1 : 0, ACCUMULATE: accumulate ? 1 : 0 };
  ctx.dispatch(GELU_BACKWARD, constants, [x, dy, dx], packUniforms([n]), grid(Math.ceil(n / WG)));
}
