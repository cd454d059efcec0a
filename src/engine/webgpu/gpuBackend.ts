import type { Backend, DType, Ops, Program, Tensor } from '../backend.ts';
import { adaptOps, withContext, type KernelsWithContext } from '../adapter.ts';
import * as k from '../kernels/index.ts';
import { acquireGpu, describeAdapter, type AdapterSummary, type GpuHandle } from './device.ts';
import { defaultTuning, GpuContext, GpuPiecedTensor, GpuTensor, type Piece } from './context.ts';

/**
 * The ops that split their work when a tensor exceeds the device's
 * maxStorageBufferBindingSize (each chunk its own 256-byte-aligned binding):
 * the vocabulary-sized ones of sampling and of the FLM loss. The others bind
 * whole tensors; `GpuContext.dispatch` refuses a binding above the limit
 * with a GpuBindingLimitError. Plans (the sampling session) check against
 * this list before allocating.
 */
export const CHUNKED_OPS: ReadonlySet<keyof Ops> = new Set<keyof Ops>([
  'matmul', 'softmax', 'logSoftmax', 'crossEntropy', 'crossEntropyBackward',
  'axpby', 'fill', 'gaussian', 'lincomb3', 'flmNoising',
]);

/** The WGSL kernel wrappers (kernels/*.ts) as the contract's ops, each taking the device context first. */
const kernels: KernelsWithContext<GpuContext> = { ...k, gradNormScratchSize: (_ctx, n) => k.gradNormScratchSize(n) };

/** The WebGPU backend: every op is a hand-written WGSL kernel. */
export class GpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly ctx: GpuContext;
  readonly ops: Ops;
  readonly description: string;

  constructor(readonly handle: GpuHandle) {
    this.ctx = new GpuContext(handle.device, defaultTuning(handle.summary.isFallbackAdapter));
    this.description = describeAdapter(handle.summary);
    this.ops = adaptOps(withContext(kernels, this.ctx), {
      f32: (t, what) => this.bound(t, what),
      u32: (t, what) => this.bound(t, what),
    });
  }

  /** A WebGPU tensor (the adapter's binder; the adapter has checked its dtype). */
  private bound(t: Tensor, what: string): Tensor {
    if (!(t instanceof GpuTensor || t instanceof GpuPiecedTensor)) throw new TypeError(`${what}: ${t.label} is not a WebGPU tensor`);
    return t;
  }

  /** Acquire an adapter and device (pass Node's `GPU` from nodeGpu(); browsers use navigator.gpu). */
  static async create(gpu?: GPU): Promise<GpuBackend> {
    return new GpuBackend(await acquireGpu(gpu));
  }

  get summary(): AdapterSummary { return this.handle.summary; }

  tensor(size: number, label = 'tensor', dtype: DType = 'f32'): Tensor {
    return this.ctx.tensor(size, label, dtype);
  }
  /**
   * A flat f32 tensor stored as separate pieces (a model's weights: one piece
   * per parameter, float16 where asked), in as many buffers as maxBufferSize
   * needs. Bind views of one piece; see GpuPiecedTensor.
   */
  pieced(size: number, pieces: readonly Piece[], label = 'pieced'): Tensor {
    return this.ctx.pieced(size, pieces, label);
  }
  view(t: Tensor, offset: number, size: number, label?: string): Tensor {
    return this.ctx.view(t as GpuTensor | GpuPiecedTensor, offset, size, label);
  }
  write(t: Tensor, data: Float32Array | Uint32Array, offset = 0): void {
    this.ctx.write(t as GpuTensor | GpuPiecedTensor, data, offset);
  }
  async read(t: Tensor): Promise<Float32Array> {
    const bytes = await this.ctx.readBytes(t as GpuTensor | GpuPiecedTensor);
    return t.dtype === 'f32' ? new Float32Array(bytes, 0, t.size) : Float32Array.from(new Uint32Array(bytes, 0, t.size));
  }
  async readU32(t: Tensor): Promise<Uint32Array> {
    if (t instanceof GpuPiecedTensor || (t as GpuTensor).half) throw new TypeError(`${t.label} holds float values: read it with read()`);
    return new Uint32Array(await this.ctx.readBytes(t as GpuTensor), 0, t.size);
  }
  compile(fn: () => void): Program {
    return this.ctx.compile(fn);
  }
  sync(): Promise<void> {
    return this.ctx.sync();
  }
  release(t: Tensor): void {
    this.ctx.release(t as GpuTensor | GpuPiecedTensor);
  }
  destroy(): void {
    this.handle.device.destroy();
  }
}
