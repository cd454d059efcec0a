import body from '../../../shaders/elementwise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('elementwise', body, ['grid']);
const ELEMENTWISE_AXPBY = SHADER.entry('elementwise_axpby', ['uniform', 'read', 'read', 'rw']);
const ELEMENTWISE_FILL = SHADER.entry('elementwise_fill', ['uniform', 'rw']);

/** out = a·x + b·y over n elements; with b == 0, y is not read (it may be x). out must not alias x or y. */
export function axpby(ctx: GpuContext, out: Tensor, a: Scalar, x: Tensor, b: Scalar, y: Tensor, n: number): void {
  ctx.dispatch(ELEMENTWISE_AXPBY, {}, [x, y, out], () => packUniforms([n], [scalar(a), scalar(b)]), elementGrid(ctx, n));
}

/** out[i] = value for i < n. One dispatch. */
export function fill(ctx: GpuContext, out: Tensor, value: number, n: number): void {
  ctx.dispatch(ELEMENTWISE_FILL, {}, [out], packUniforms([n], [value, 0]), elementGrid(ctx, n));
}
