import body from '../../../shaders/ema.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('ema', body, ['grid']);
const EMA_UPDATE = SHADER.entry('ema_update', ['params', 'ema']);

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
  ctx.dispatch(EMA_UPDATE, {}, { params, ema: emaParams }, uniforms, elementGrid(ctx, n));
}
