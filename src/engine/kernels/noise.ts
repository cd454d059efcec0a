import philoxLib from '../../../shaders/lib/philox.wgsl?raw';
import noiseSource from '../../../shaders/noise.wgsl?raw';
import { scalar, type Scalar, type Tensor } from '../backend.ts';
import { grid, packUniforms, type GpuContext, type KernelDef } from '../webgpu/context.ts';

const source = `${philoxLib}\n${noiseSource}`;
const GAUSSIAN: KernelDef = { name: 'noise', source, entry: 'gaussian', bindings: ['uniform', 'rw'] };
const PHILOX_WORDS: KernelDef = { name: 'noise', source, entry: 'philox_words', bindings: ['uniform', 'rw'] };
const WG = 256;

/** [n, counter, key low, key high]: the key is the seed's low and high 32 bits (seed < 2^53). */
function uniforms(n: number, seed: number, counter: number): Uint8Array {
  return packUniforms([n, counter >>> 0, seed >>> 0, Math.floor(seed / 4294967296) >>> 0]);
}

/** Standard normals of the stream (seed, counter): out[i] for i < n, one thread per 4. One dispatch. */
export function gaussian(ctx: GpuContext, out: Tensor, n: number, seed: Scalar, counter: Scalar): void {
  ctx.dispatch(GAUSSIAN, {}, [out], () => uniforms(n, scalar(seed), scalar(counter)), grid(Math.ceil(Math.ceil(n / 4) / WG)));
}

/** Tests: the raw Philox words of the stream, words[4·blk + j] = word j of block blk (u32 tensor). */
export function philoxWords(ctx: GpuContext, words: Tensor, n: number, seed: number, counter: number): void {
  ctx.dispatch(PHILOX_WORDS, {}, [words], uniforms(n, seed, counter), grid(Math.ceil(Math.ceil(n / 4) / WG)));
}
