/**
 * The optimiser state of a training run on the device: AdamW moments, the
 * EMA of the weights, and the global gradient norm (for clipping and for
 * refusing non-finite steps). Shared by FLM training and both distillation
 * stages; `record` appends its three dispatches to the caller's program.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { emaDecayAt, learningRate, type TrainConfig } from './schedule.ts';

export interface StepResult {
  step: number;
  loss: number;
  gradNorm: number;
  /** The step's gradients were not finite: the update was skipped. */
  nonFinite: boolean;
  ms: number;
}

export class Optimizer {
  readonly ema: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  readonly normSq: Tensor;
  private readonly scratch: Tensor;

  /** `step()` is the number of updates done so far (read at every run). */
  constructor(readonly backend: Backend, readonly n: number, readonly train: TrainConfig, private readonly step: () => number) {
    this.ema = backend.tensor(n, 'ema');
    this.m = backend.tensor(n, 'adam.m');
    this.v = backend.tensor(n, 'adam.v');
    this.normSq = backend.tensor(1, 'normSq');
    this.scratch = backend.tensor(Math.max(1, backend.ops.gradNormScratchSize(n)), 'normScratch');
  }

  /** Start from weights `p` (EMA = p, zero moments). */
  start(params: Tensor, p: Float32Array): void {
    this.backend.write(params, p);
    this.backend.write(this.ema, p);
  }

  /** Continue from a checkpoint's weights, EMA and moments. */
  resume(params: Tensor, c: Pick<Checkpoint, 'params' | 'ema' | 'adamM' | 'adamV'>): void {
    this.backend.write(params, c.params);
    this.backend.write(this.ema, c.ema ?? c.params);
    if (c.adamM) this.backend.write(this.m, c.adamM);
    if (c.adamV) this.backend.write(this.v, c.adamV);
  }

  /** Grad norm, AdamW (warm-up, clipping; skipped when the norm is not finite) and EMA. */
  record(params: Tensor, grads: Tensor): void {
    const ops = this.backend.ops, t = this.train, n = this.n;
    ops.globalNormSq(this.normSq, this.scratch, grads, n);
    ops.adamw({ params, grads, m: this.m, v: this.v, normSq: this.normSq }, n, {
      lr: () => learningRate(t, this.step()),
      beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay,
      step: () => this.step() + 1,
      maxGradNorm: t.clip,
    });
    ops.ema(this.ema, params, n, () => emaDecayAt(t, this.step()));
  }

  /**
   * After a training program ran: read its loss and the gradient norm, and
   * report the step (non-finite: AdamW skipped the update).
   */
  async result(loss: Tensor, step: number, t0: number): Promise<StepResult> {
    const [l] = await this.backend.read(loss);
    const [normSq] = await this.backend.read(this.normSq);
    const nonFinite = !Number.isFinite(l) || !Number.isFinite(normSq);
    return { step, loss: l, gradNorm: Math.sqrt(normSq), nonFinite, ms: performance.now() - t0 };
  }

  async state(params: Tensor): Promise<Required<Pick<Checkpoint, 'params' | 'ema' | 'adamM' | 'adamV'>>> {
    const b = this.backend;
    const [p, ema, adamM, adamV] = await Promise.all([b.read(params), b.read(this.ema), b.read(this.m), b.read(this.v)]);
    return { params: p, ema, adamM, adamV };
  }

  release(): void {
    for (const t of [this.ema, this.m, this.v, this.normSq, this.scratch]) this.backend.release(t);
  }
}
