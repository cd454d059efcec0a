import source from '../../../shaders/elementwise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const AXPBY: KernelDef = { name: 'elementwise', source, entry: 'axpby', bindings: ['uniform', 'read', 'read', 'rw'] };
const FILL: KernelDef = { name: 'elementwise', source, entry: 'fill', bindings: ['uniform', 'rw'] };
const WG = 256;

/** out = a·x + b·y over n elements; with b == 0, y is not read (it may be x). out must not alias x or y. */
export function axpby(ctx: GpuContext, out: Tensor, a: Scalar, x: Tensor, b: Scalar, y: Tensor, n: number): void {
  ctx.dispatch(AXPBY, {}, [x, y, out], () => packUniforms([n], [scalar(a), scalar(b)]), grid(Math.ceil(n / WG)));
}

/** out[i] = value for i < n. One dispatch. */
export function fill(ctx: GpuContext, out: Tensor, value: number, n: number): void {
  ctx.dispatch(FILL, {}, [out], packUniforms([n], [value, 0]), grid(Math.ceil(n / WG)));
}
