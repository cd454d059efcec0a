import body from '../../../shaders/dropout.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { dropoutThreshold } from '../reference/dropout.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('dropout', body, ['grid', 'philox']);
const DROPOUT_FORWARD = SHADER.entry('dropout_forward', ['x', 'out']);

/** out = x·mask/(1 − p) with the counter-based mask of (seed, counter): one thread per 4 elements. */
export function dropout(ctx: GpuContext, out: Tensor, x: Tensor, n: number, p: number, seed: Scalar, counter: Scalar): void {
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  ctx.dispatch(DROPOUT_FORWARD, {}, { x, out }, () => {
    const s = scalar(seed);
    return packUniforms([n, scalar(counter) >>> 0, s >>> 0, Math.floor(s / 4294967296) >>> 0, dropoutThreshold(p)], [scale]);
  }, elementGrid(ctx, Math.ceil(n / 4)));
}
