import source from '../../../shaders/ema.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const EMA: KernelDef = { name: 'ema', source, entry: 'main', bindings: ['uniform', 'read', 'rw'] };
const WG = 256;

/**
 * emaParams = decay·emaParams + (1 − decay)·params over n elements, in place
 * (one dispatch; decay is read at every run of a compiled program).
 * emaParams and params must be different buffers.
 */
export function ema(ctx: GpuContext, emaParams: Tensor, params: Tensor, n: number, decay: Scalar): void {
  for (const t of [emaParams, params]) {
    if (t.size < n) throw new RangeError(`ema: ${t.label} has ${t.size} floats < n = ${n}`);
  }
  const uniforms = (): Uint8Array => {
    const d = scalar(decay);
    return packUniforms([n], [d, 1 - d]);
  };
  ctx.dispatch(EMA, {}, [params, emaParams], uniforms, grid(Math.ceil(n / WG)));
}
