import body from '../../../shaders/elementwise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, elementGrid, rangeChunks, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('elementwise', body, ['grid']);
const ELEMENTWISE_AXPBY = SHADER.entry('elementwise_axpby', ['x', 'y', 'out']);
const ELEMENTWISE_FILL = SHADER.entry('elementwise_fill', ['dst']);

/** out = a·x + b·y over n elements; with b == 0, y is not read (it may be x). out must not alias x or y. */
export function axpby(ctx: GpuContext, out: Tensor, a: Scalar, x: Tensor, b: Scalar, y: Tensor, n: number): void {
  if (bindable(ctx, x, y, out)) {
    ctx.dispatch(ELEMENTWISE_AXPBY, {}, { x, y, out }, () => packUniforms([n], [scalar(a), scalar(b)]), elementGrid(ctx, n));
    return;
  }
  // Large tensors: ranges of elements, each bound as its own views (y only when read).
  for (const [i0, i1] of rangeChunks(ctx, n)) {
    const xv = rowsView(ctx, x, i0, i1, 1);
    // y is not read when b = 0 (it may then be any tensor, even a shorter one).
    const yv = y === x || y.size < i1 ? xv : rowsView(ctx, y, i0, i1, 1);
    ctx.dispatch(ELEMENTWISE_AXPBY, {}, { x: xv, y: yv, out: rowsView(ctx, out, i0, i1, 1) },
      () => packUniforms([i1 - i0], [scalar(a), scalar(b)]), elementGrid(ctx, i1 - i0));
  }
}

/** out[i] = value for i < n. One dispatch. */
export function fill(ctx: GpuContext, out: Tensor, value: number, n: number): void {
  if (bindable(ctx, out)) {
    ctx.dispatch(ELEMENTWISE_FILL, {}, { dst: out }, packUniforms([n], [value, 0]), elementGrid(ctx, n));
    return;
  }
  for (const [i0, i1] of rangeChunks(ctx, n)) {
    ctx.dispatch(ELEMENTWISE_FILL, {}, { dst: rowsView(ctx, out, i0, i1, 1) }, packUniforms([i1 - i0], [value, 0]), elementGrid(ctx, i1 - i0));
  }
}
