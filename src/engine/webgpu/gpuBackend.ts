import type { Backend, DType, Ops, Program, Tensor } from '../backend.ts';
import * as k from '../kernels/index.ts';
import { acquireGpu, describeAdapter, type AdapterSummary, type GpuHandle } from './device.ts';
import { defaultTuning, GpuContext, GpuPiecedTensor, type GpuTensor, type Piece } from './context.ts';

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

/** The WebGPU backend: every op is a hand-written WGSL kernel. */
export class GpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly ctx: GpuContext;
  readonly ops: Ops;
  readonly description: string;

  constructor(readonly handle: GpuHandle) {
    this.ctx = new GpuContext(handle.device, defaultTuning(handle.summary.isFallbackAdapter));
    this.description = describeAdapter(handle.summary);
    const c = this.ctx;
    this.ops = {
      matmul: (out, a, b, p, bias) => k.matmul(c, out, a, b, p, bias),
      sumRows: (out, x, rows, cols, acc) => k.sumRows(c, out, x, rows, cols, acc),
      silu: (out, x, n) => k.silu(c, out, x, n),
      siluBackward: (dx, x, dy, n, acc) => k.siluBackward(c, dx, x, dy, n, acc),
      gelu: (out, x, n, approx) => k.gelu(c, out, x, n, approx),
      geluBackward: (dx, x, dy, n, approx, acc) => k.geluBackward(c, dx, x, dy, n, approx, acc),
      timeEmbedding: (out, t, batch, dim) => k.timeEmbedding(c, out, t, batch, dim),
      lnModulate: (out, mean, rstd, x, w, mod, p) => k.lnModulate(c, out, mean, rstd, x, w, mod, p),
      lnModulateBackward: (dx, dw, dmod, dout, x, mean, rstd, w, mod, p) =>
        k.lnModulateBackward(c, dx, dw, dmod, dout, x, mean, rstd, w, mod, p),
      gateResidual: (h, y, mod, p) => k.gateResidual(c, h, y, mod, p),
      gateResidualBackward: (dy, dmod, dh, y, mod, p) => k.gateResidualBackward(c, dy, dmod, dh, y, mod, p),
      rope: (q, kk, v, qkv, p) => k.rope(c, q, kk, v, qkv, p),
      ropeBackward: (dqkv, dq, dk, dv, p) => k.ropeBackward(c, dqkv, dq, dk, dv, p),
      attention: (o, att, q, kk, v, p) => k.attention(c, o, att, q, kk, v, p),
      attentionBackward: (dq, dk, dv, scratch, dout, att, q, kk, v, o, p) =>
        k.attentionBackward(c, dq, dk, dv, scratch, dout, att, q, kk, v, o, p),
      softmax: (out, x, rows, cols) => k.softmax(c, out, x, rows, cols),
      logSoftmax: (out, x, rows, cols) => k.logSoftmax(c, out, x, rows, cols),
      crossEntropy: (ce, logits, targets, rows, cols) => k.crossEntropy(c, ce, logits, targets, rows, cols),
      crossEntropyBackward: (dl, logits, targets, dce, rows, cols) => k.crossEntropyBackward(c, dl, logits, targets, dce, rows, cols),
      weightedLoss: (perToken, loss, dce, dw, ce, w, batch, length) => k.weightedLoss(c, perToken, loss, dce, dw, ce, w, batch, length),
      gaussian: (out, n, seed, counter) => k.gaussian(c, out, n, seed, counter),
      dropout: (out, x, n, p, seed, counter) => k.dropout(c, out, x, n, p, seed, counter),
      axpby: (out, a, x, b, y, n) => k.axpby(c, out, a, x, b, y, n),
      lincomb3: (out, x, y, z, cc, n, perBatch) => k.lincomb3(c, out, x, y, z, cc, n, perBatch),
      distillStage1Loss: (raw, g, tgt, cc, rows, cols, length) => k.distillStage1Loss(c, raw, g, tgt, cc, rows, cols, length),
      distillStage1Backward: (dg, g, tgt, cc, dce, rows, cols, length) => k.distillStage1Backward(c, dg, g, tgt, cc, dce, rows, cols, length),
      distillStage2Loss: (raw, q, logits, F, xs, a, rows, cols, length) => k.distillStage2Loss(c, raw, q, logits, F, xs, a, rows, cols, length),
      distillStage2Backward: (dl, q, F, xs, a, dce, rows, cols, length) => k.distillStage2Backward(c, dl, q, F, xs, a, dce, rows, cols, length),
      fill: (out, value, n) => k.fill(c, out, value, n),
      flmNoising: (x, eps, targets, gamma, batch, length, vocab) => k.flmNoising(c, x, eps, targets, gamma, batch, length, vocab),
      gradNormScratchSize: (n) => k.gradNormScratchSize(n),
      globalNormSq: (out, scratch, x, n) => k.globalNormSq(c, out, scratch, x, n),
      adamw: (params, grads, m, v, normSq, n, hp) => k.adamw(c, params, grads, m, v, normSq, n, hp),
      ema: (e, params, n, decay) => k.ema(c, e, params, n, decay),
    };
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
