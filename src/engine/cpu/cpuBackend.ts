import { scalar, type Backend, type DType, type Ops, type Program, type Tensor } from '../backend.ts';
import * as ref from '../reference/index.ts';

/** A tensor of the CPU backend: a typed array (or a window into one). */
export class CpuTensor implements Tensor {
  constructor(
    readonly data: Float32Array | Uint32Array,
    readonly dtype: DType,
    readonly label: string,
  ) {}
  get size(): number { return this.data.length; }
}

function f(t: Tensor): Float32Array {
  const c = t as CpuTensor;
  if (!(c instanceof CpuTensor) || c.dtype !== 'f32') throw new TypeError(`expected an f32 CPU tensor, got ${t.label}`);
  return c.data as Float32Array;
}
function u(t: Tensor): Uint32Array {
  const c = t as CpuTensor;
  if (!(c instanceof CpuTensor) || c.dtype !== 'u32') throw new TypeError(`expected a u32 CPU tensor, got ${t.label}`);
  return c.data as Uint32Array;
}

const ops: Ops = {
  matmul: (out, a, b, p, bias) => ref.matmul(f(out), f(a), f(b), p, bias && f(bias)),
  sumRows: (out, x, rows, cols, acc) => ref.sumRows(f(out), f(x), rows, cols, acc),
  silu: (out, x, n) => ref.silu(f(out), f(x), n),
  siluBackward: (dx, x, dy, n, acc) => ref.siluBackward(f(dx), f(x), f(dy), n, acc),
  gelu: (out, x, n, approx) => ref.gelu(f(out), f(x), n, approx),
  geluBackward: (dx, x, dy, n, approx, acc) => ref.geluBackward(f(dx), f(x), f(dy), n, approx, acc),
  timeEmbedding: (out, t, batch, dim) => ref.timeEmbedding(f(out), f(t), batch, dim),
  lnModulate: (out, mean, rstd, x, w, mod, p) => ref.lnModulate(f(out), f(mean), f(rstd), f(x), f(w), f(mod), p),
  lnModulateBackward: (dx, dw, dmod, dout, x, mean, rstd, w, mod, p) =>
    ref.lnModulateBackward(f(dx), f(dw), f(dmod), f(dout), f(x), f(mean), f(rstd), f(w), f(mod), p),
  gateResidual: (h, y, mod, p) => ref.gateResidual(f(h), f(y), f(mod), p),
  gateResidualBackward: (dy, dmod, dh, y, mod, p) => ref.gateResidualBackward(f(dy), f(dmod), f(dh), f(y), f(mod), p),
  rope: (q, k, v, qkv, p) => ref.rope(f(q), f(k), f(v), f(qkv), p),
  ropeBackward: (dqkv, dq, dk, dv, p) => ref.ropeBackward(f(dqkv), f(dq), f(dk), f(dv), p),
  attention: (o, att, q, k, v, p) => ref.attention(f(o), f(att), f(q), f(k), f(v), p),
  attentionBackward: (dq, dk, dv, scratch, dout, att, q, k, v, o, p) =>
    ref.attentionBackward(f(dq), f(dk), f(dv), f(scratch), f(dout), f(att), f(q), f(k), f(v), f(o), p),
  softmax: (out, x, rows, cols) => ref.softmax(f(out), f(x), rows, cols),
  logSoftmax: (out, x, rows, cols) => ref.logSoftmax(f(out), f(x), rows, cols),
  crossEntropy: (ce, logits, targets, rows, cols) => ref.crossEntropy(f(ce), f(logits), u(targets), rows, cols),
  crossEntropyBackward: (dl, logits, targets, dce, rows, cols) =>
    ref.crossEntropyBackward(f(dl), f(logits), u(targets), f(dce), rows, cols),
  weightedLoss: (perToken, loss, dce, dw, ce, w, batch, length) =>
    ref.weightedLoss(f(perToken), f(loss), f(dce), dw && f(dw), f(ce), w && f(w), batch, length),
  gaussian: (out, n, seed, counter) => ref.gaussian(f(out), n, scalar(seed), scalar(counter)),
  flmNoising: (x, eps, targets, gamma, batch, length, vocab) => ref.flmNoising(f(x), f(eps), u(targets), f(gamma), batch, length, vocab),
  dropout: (out, x, n, p, seed, counter) => ref.dropout(f(out), f(x), n, p, scalar(seed), scalar(counter)),
  axpby: (out, a, x, b, y, n) => ref.axpby(f(out), scalar(a), f(x), scalar(b), f(y), n),
  lincomb3: (out, x, y, z, c, n, perBatch) => ref.lincomb3(f(out), f(x), f(y), f(z), f(c), n, perBatch),
  distillStage1Loss: (raw, g, tgt, c, rows, cols, length) => ref.distillStage1Loss(f(raw), f(g), f(tgt), f(c), rows, cols, length),
  distillStage1Backward: (dg, g, tgt, c, dce, rows, cols, length) =>
    ref.distillStage1Backward(f(dg), f(g), f(tgt), f(c), f(dce), rows, cols, length),
  distillStage2Loss: (raw, q, logits, F, xs, a, rows, cols, length) =>
    ref.distillStage2Loss(f(raw), f(q), f(logits), f(F), f(xs), f(a), rows, cols, length),
  distillStage2Backward: (dl, q, F, xs, a, dce, rows, cols, length) =>
    ref.distillStage2Backward(f(dl), f(q), f(F), f(xs), f(a), f(dce), rows, cols, length),
  fill: (out, value, n) => ref.fill(f(out), value, n),
  gradNormScratchSize: () => 1,
  globalNormSq: (out, _scratch, x, n) => ref.globalNormSq(f(out), f(x), n),
  adamw: (params, grads, m, v, normSq, n, hp) => ref.adamw(f(params), f(grads), f(m), f(v), f(normSq), n, hp),
  ema: (e, params, n, decay) => ref.ema(f(e), f(params), n, decay),
};

/** The reference backend: plain TypeScript on typed arrays, ops run when called. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly description = 'CPU reference (plain TypeScript)';
  readonly ops = ops;

  tensor(size: number, label = 'tensor', dtype: DType = 'f32'): Tensor {
    return new CpuTensor(dtype === 'f32' ? new Float32Array(size) : new Uint32Array(size), dtype, label);
  }
  view(t: Tensor, offset: number, size: number, label?: string): Tensor {
    const c = t as CpuTensor;
    if (offset < 0 || offset + size > c.size) throw new RangeError(`view [${offset}, ${offset + size}) outside ${c.label} of ${c.size}`);
    return new CpuTensor(c.data.subarray(offset, offset + size), c.dtype, label ?? `${c.label}[${offset}:]`);
  }
  write(t: Tensor, data: Float32Array | Uint32Array, offset = 0): void {
    (t as CpuTensor).data.set(data, offset);
  }
  async read(t: Tensor): Promise<Float32Array> {
    const c = t as CpuTensor;
    return c.dtype === 'f32' ? Float32Array.from(c.data) : Float32Array.from(c.data);
  }
  async readU32(t: Tensor): Promise<Uint32Array> {
    return Uint32Array.from((t as CpuTensor).data);
  }
  compile(fn: () => void): Program {
    return { run: fn };
  }
  async sync(): Promise<void> {}
  release(): void {}
  destroy(): void {}
}
