import expLib from '../../../shaders/lib/exp.wgsl?raw';
import sourceBody from '../../../shaders/silu.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const source = `${expLib}\n${sourceBody}`;

const SILU: KernelDef = { name: 'silu', source, entry: 'silu_forward', bindings: ['uniform', 'read', 'rw'] };
const SILU_BACKWARD: KernelDef = { name: 'silu', source, entry: 'silu_backward', bindings: ['uniform', 'read', 'read', 'rw'] };
const WG = 256;

/** out = x·σ(x) over n elements. One dispatch. */
export function silu(ctx: GpuContext, out: Tensor, x: Tensor, n: number): void {
  ctx.dispatch(SILU, {}, [x, out], packUniforms([n]), grid(Math.ceil(n / WG)));
}

/** dx (+)= dy·silu'(x) over n elements (dx must not alias x or dy). One dispatch. */
export function siluBackward(ctx: GpuContext, dx: Tensor, x: Tensor, dy: Tensor, n: number, accumulate = false): void {
  ctx.dispatch(SILU_BACKWARD, { ACCUMULATE: accumulate ? 1 : 0 }, [x, dy, dx], packUniforms([n]), grid(Math.ceil(n / WG)));
}
