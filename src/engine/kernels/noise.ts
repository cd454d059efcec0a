import body from '../../../shaders/noise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { packUniforms, type GpuContext } from '../webgpu/context.ts';
import { elementGrid, Shader } from './kernel.ts';

const SHADER = new Shader('noise', body, ['grid', 'math', 'philox']);
const NOISE_GAUSSIAN = SHADER.entry('noise_gaussian', ['uniform', 'rw']);
const NOISE_PHILOX_WORDS = SHADER.entry('noise_philox_words', ['uniform', 'rw']);

/** [n, counter, key low, key high]: the key is the seed's low and high 32 bits (seed < 2^53). */
function uniforms(n: number, seed: number, counter: number): Uint8Array {
  return packUniforms([n, counter >>> 0, seed >>> 0, Math.floor(seed / 4294967296) >>> 0]);
}

/** Standard normals of the stream (seed, counter): out[i] for i < n, one thread per 4. One dispatch. */
export function gaussian(ctx: GpuContext, out: Tensor, n: number, seed: Scalar, counter: Scalar): void {
  ctx.dispatch(NOISE_GAUSSIAN, {}, [out], () => uniforms(n, scalar(seed), scalar(counter)), elementGrid(ctx, Math.ceil(n / 4)));
}

/** Tests: the raw Philox words of the stream, words[4·blk + j] = word j of block blk (u32 tensor). */
export function philoxWords(ctx: GpuContext, words: Tensor, n: number, seed: number, counter: number): void {
  ctx.dispatch(NOISE_PHILOX_WORDS, {}, [words], uniforms(n, seed, counter), elementGrid(ctx, Math.ceil(n / 4)));
}
