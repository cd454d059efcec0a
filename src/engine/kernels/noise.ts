import body from '../../../shaders/noise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { bindable, elementGrid, rangeChunks, rowsView, Shader } from './kernel.ts';

const SHADER = new Shader('noise', body, ['grid', 'math', 'philox']);
const NOISE_GAUSSIAN = SHADER.entry('noise_gaussian', ['out']);
const NOISE_PHILOX_WORDS = SHADER.entry('noise_philox_words', ['words']);

/** [n, counter, key low, key high, first block]: the key is the seed's low and high 32 bits (seed < 2^53). */
function uniforms(n: number, seed: number, counter: number, base = 0): Uint8Array {
  return packUniforms([n, counter >>> 0, seed >>> 0, Math.floor(seed / 4294967296) >>> 0, base]);
}

/**
 * Standard normals of the stream (seed, counter): out[i] for i < n, one
 * thread per 4. One dispatch, or one per chunk of a tensor above the binding
 * limit (the chunks start on multiples of 4 elements, so each is the same
 * blocks of the same stream).
 */
export function gaussian(ctx: GpuContext, out: Tensor, n: number, seed: Scalar, counter: Scalar): void {
  if (bindable(ctx, out)) {
    ctx.dispatch(NOISE_GAUSSIAN, {}, { out }, () => uniforms(n, scalar(seed), scalar(counter)), elementGrid(ctx, Math.ceil(n / 4)));
    return;
  }
  for (const [i0, i1] of rangeChunks(ctx, n)) {
    ctx.dispatch(NOISE_GAUSSIAN, {}, { out: rowsView(ctx, out, i0, i1, 1) }, () => uniforms(i1 - i0, scalar(seed), scalar(counter), i0 / 4),
      elementGrid(ctx, Math.ceil((i1 - i0) / 4)));
  }
}

/** Tests: the raw Philox words of the stream, words[4·blk + j] = word j of block blk (u32 tensor). */
export function philoxWords(ctx: GpuContext, words: Tensor, n: number, seed: number, counter: number): void {
  ctx.dispatch(NOISE_PHILOX_WORDS, {}, { words }, uniforms(n, seed, counter), elementGrid(ctx, Math.ceil(n / 4)));
}
