import philoxLib from '../../../shaders/lib/philox.wgsl?raw';
import dropoutSource from '../../../shaders/dropout.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { dropoutThreshold } from '../reference/dropout.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const DROPOUT: KernelDef = { name: 'dropout', source: `${philoxLib}\n${dropoutSource}`, entry: 'main', bindings: ['uniform', 'read', 'rw'] };

/** out = x·mask/(1 − p) with the counter-based mask of (seed, counter): one thread per 4 elements. */
export function dropout(ctx: GpuContext, out: Tensor, x: Tensor, n: number, p: number, seed: Scalar, counter: Scalar): void {
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  ctx.dispatch(DROPOUT, {}, [x, out], () => {
    const s = scalar(seed);
    return packUniforms([n, scalar(counter) >>> 0, s >>> 0, Math.floor(s / 4294967296) >>> 0, dropoutThreshold(p)], [scale]);
  }, grid(Math.ceil(Math.ceil(n / 4) / 256)));
}
