/**
 * Training the autoregressive judge: the FLM's DiT with causal attention and
 * no time conditioning (t = 0 for every sequence, so the adaLN modulation is
 * a learned constant), next-token cross-entropy on the input of
 * `writeArInput`. Same optimiser (AdamW, warm-up, clipping, EMA), batcher,
 * checkpoint format and exact resume as the FLM trainer; no noise at all.
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { LossPoint, TrainConfig } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { initParams } from '../model/init.ts';
import type { Batcher, BatcherState } from '../data/batcher.ts';
import { Optimizer, type StepResult } from '../train/optimizer.ts';
import { DROPOUT_SEED_OFFSET, meanValidationCe, resumeOrStart, trainerBatches, trainerCheckpoint, type Preview, type SnapshotMeta, type TrainerData } from '../train/trainer.ts';
import { writeArInput } from './input.ts';

/** A config as the judge's: the same shape, causal, one time input, no loss weighting. */
export function judgeConfig(c: DiTConfig): DiTConfig {
  return { ...c, twoTime: false, lossWeighting: false, causal: true };
}

export class ArTrainer {
  readonly kind = 'judge';
  readonly model: DiT;
  step = 0;
  lossHistory: LossPoint[] = [];
  private readonly opt: Optimizer;
  private readonly batcher: Batcher;
  private readonly valBatches: Uint32Array[];
  private readonly trainProgram: Program;
  private readonly evalProgram: Program;
  private readonly xHost: Float32Array;

  constructor(
    readonly backend: Backend,
    readonly config: DiTConfig,
    readonly train: TrainConfig,
    data: TrainerData,
    resume?: Checkpoint,
  ) {
    if (!config.causal) throw new Error('ArTrainer: the config must be causal (use judgeConfig)');
    if (config.twoTime || config.lossWeighting) throw new Error('ArTrainer: a judge has one time input and no loss weighting');
    const B = train.batch, L = config.length, V = config.vocab;
    ({ batcher: this.batcher, valBatches: this.valBatches } = trainerBatches(data, L, train, resume));
    this.model = new DiT(backend, config, B, { dropout: train.dropout > 0 });
    this.opt = new Optimizer(backend, this.model.layout.total, train, () => this.step);
    this.xHost = new Float32Array(B * L * V);
    ({ step: this.step, lossHistory: this.lossHistory } = resumeOrStart(this.opt, this.model.params, resume, () => initParams(this.model.layout, train.seed)));
    // No time conditioning: t = 0 always.
    backend.write(this.model.t, new Float32Array(B));
    const model = this.model;
    const dropout = train.dropout > 0 ? { p: train.dropout, seed: train.seed + DROPOUT_SEED_OFFSET, counter: () => this.step } : undefined;
    this.trainProgram = backend.compile(() => {
      model.forward({ dropout });
      model.crossEntropyLoss();
      model.backward({ dropout });
      this.opt.record(model.params, model.grads);
    });
    this.evalProgram = backend.compile(() => {
      model.forward();
      model.crossEntropyLoss();
    });
  }

  get parameterCount(): number {
    return this.model.layout.count;
  }

  /** The weights being trained. */
  get params(): Tensor {
    return this.model.params;
  }

  get ema(): Tensor {
    return this.opt.ema;
  }

  get batcherState(): BatcherState {
    return this.batcher.state();
  }

  private writeBatch(tokens: Uint32Array): void {
    const { batch } = this.train, { length, vocab } = this.config;
    this.backend.write(this.model.targets, tokens);
    this.backend.write(this.model.x, writeArInput(this.xHost, tokens, batch, length, vocab));
  }

  async trainStep(): Promise<StepResult> {
    const t0 = performance.now();
    this.writeBatch(this.batcher.next());
    this.trainProgram.run();
    const r = await this.opt.result(this.model.loss, ++this.step, t0);
    this.lossHistory.push({ step: this.step, loss: r.loss, time: Date.now() });
    return r;
  }

  /** Validation next-token cross-entropy (nats/token) over the fixed validation batches, with the weights being trained. */
  async validate(): Promise<number> {
    return meanValidationCe(this.backend, this.model.ce, this.valBatches, (b) => this.writeBatch(b), this.evalProgram, this.lossHistory, this.step);
  }

  async snapshot(meta: SnapshotMeta): Promise<Checkpoint> {
    return trainerCheckpoint(this.opt, this.model.params, this.config, this.train, this.step, this.lossHistory, this.batcher.state(), { ...meta, kind: this.kind });
  }

  /** A judge scores samples; it has no preview of its own. */
  previewSampler(): Preview | null {
    return null;
  }

  release(): void {
    this.opt.release();
    this.model.release();
  }
}
