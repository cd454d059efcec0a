import body from '../../../shaders/time_embedding.wgsl?raw';
import type { Tensor } from '../backend.ts';
import { TIME_MAX_PERIOD } from '../reference/timeEmbedding.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('time_embedding', body, ['grid', 'math']);
const TIME_EMBEDDING_FORWARD = SHADER.entry('time_embedding_forward', ['t', 'out']);
/** Frequencies the uniform table holds (half = dim/2 up to this); larger dims compute ω in the kernel. */
const TABLE = 256;

const uniformCache = new Map<string, Uint8Array>();

/** [batch, dim, half, useTable] then the 256-slot ω table (f32 roundings of the exact values). */
function uniforms(batch: number, dim: number): Uint8Array {
  const key = `${batch},${dim}`;
  let u = uniformCache.get(key);
  if (!u) {
    const half = dim >> 1;
    const useTable = half <= TABLE;
    const freq = new Array<number>(TABLE).fill(0);
    if (useTable) for (let i = 0; i < half; i++) freq[i] = Math.exp(-Math.log(TIME_MAX_PERIOD) * i / half);
    u = packUniforms([batch, dim, half, useTable ? 1 : 0], freq);
    if (uniformCache.size > 64) uniformCache.clear();
    uniformCache.set(key, u);
  }
  return u;
}

/** out[B, dim] = [cos(t·ω_i), sin(t·ω_i)], ω_i = exp(−ln(10000)·i/(dim/2)). One dispatch. */
export function timeEmbedding(ctx: GpuContext, out: Tensor, t: Tensor, batch: number, dim: number): void {
  ctx.dispatch(TIME_EMBEDDING_FORWARD, {}, { t, out }, uniforms(batch, dim), elementGrid(ctx, batch * dim));
}
