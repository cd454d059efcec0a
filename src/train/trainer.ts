/**
 * FLM training (spec section 4) on any backend: antithetic times, the time
 * map, the noising path, cross-entropy on the clean token (optionally
 * weighted), AdamW with warm-up and global-norm clipping, and an EMA of the
 * weights — all on the device, recorded once into a program that each step
 * replays. Every random number comes from counter-based streams keyed by
 * (seed, step), so a run resumed from a checkpoint continues exactly.
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import { CounterRng, STREAM, antitheticTimes } from '../flm/random.ts';
import { EulerSampler, type StepSampler } from '../flm/sampler.ts';
import { TimeMap } from '../flm/timeMap.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { META_VERSION, type CheckpointMeta, type LossPoint, type ModelKind } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import { DiT } from '../model/dit.ts';
import { initParams } from '../model/init.ts';
import { Batcher, evalBatches, type BatcherState } from '../data/batcher.ts';
import { Optimizer, type StepResult } from './optimizer.ts';
import type { TrainConfig } from './schedule.ts';

export type { StepResult } from './optimizer.ts';

export interface TrainerData {
  train: Uint32Array;
  val: Uint32Array;
}

/** What the caller adds to a trainer's checkpoint (name, tokenizer, data ids, run settings…); the trainer knows its kind. */
export type SnapshotMeta = Omit<CheckpointMeta, 'kind' | 'step' | 'lossHistory' | 'format' | 'version'>;

/** A trainer's preview: a sampler of its EMA weights and how many steps one sample takes. */
export interface Preview {
  sampler: StepSampler;
  steps: number;
}

/**
 * The mean cross-entropy per token over fixed validation batches: `prepare`
 * writes batch j into the model, `program` computes `ce`. The figure is
 * recorded on the loss history's entry for `step`, when there is one.
 */
export async function meanValidationCe(
  backend: Backend, ce: Tensor, batches: Uint32Array[], prepare: (batch: Uint32Array, j: number) => void,
  program: Program, history: LossPoint[], step: number,
): Promise<number> {
  let sum = 0, count = 0;
  for (let j = 0; j < batches.length; j++) {
    prepare(batches[j], j);
    program.run();
    const v = await backend.read(ce);
    for (const x of v) sum += x;
    count += v.length;
  }
  const valCe = count ? sum / count : NaN;
  const last = history[history.length - 1];
  if (last && last.step === step) last.valCe = valCe;
  return valCe;
}

/**
 * A trainer's data: the batcher over the training windows (at its saved
 * position when resuming) and the fixed validation batches. Host-side only,
 * so a corpus too short for `length` throws before any device buffer exists.
 */
export function trainerBatches(data: TrainerData, length: number, train: TrainConfig, resume?: Checkpoint): { batcher: Batcher; valBatches: Uint32Array[] } {
  const saved = resume?.meta.data?.batcher;
  return {
    batcher: new Batcher(data.train, length, train.batch, train.seed, saved),
    valBatches: evalBatches(data.val, length, train.batch, train.evalBatches),
  };
}

/**
 * Load the optimiser (weights, EMA, Adam moments) from `resume`, or start it
 * from the weights `fresh()` makes; the step and loss history to continue from.
 */
export function resumeOrStart(opt: Optimizer, params: Tensor, resume: Checkpoint | undefined, fresh: () => Float32Array): { step: number; lossHistory: LossPoint[] } {
  if (!resume) {
    opt.start(params, fresh());
    return { step: 0, lossHistory: [] };
  }
  opt.resume(params, resume);
  return { step: resume.meta.step, lossHistory: [...(resume.meta.lossHistory ?? [])] };
}

/** Everything a resumed run needs: weights, EMA, Adam moments, schedule, batcher position and loss history. */
export async function trainerCheckpoint(
  opt: Optimizer, params: Tensor, config: DiTConfig, train: TrainConfig, step: number,
  lossHistory: LossPoint[], batcher: BatcherState, meta: SnapshotMeta & { kind: ModelKind },
): Promise<Checkpoint> {
  const state = await opt.state(params);
  return {
    config,
    meta: {
      ...meta, format: 'flm-studio', version: META_VERSION, step, lossHistory,
      train: { ...train }, rng: { seed: train.seed, step },
      data: { ...(meta.data ?? {}), batcher },
    },
    params: state.params, ema: state.ema, adamM: state.adamM, adamV: state.adamV,
  };
}

/** Dropout masks use their own key, so they never share numbers with the noise. */
export const DROPOUT_SEED_OFFSET = 0x0d20;

/** Fixed seed for validation noise, so validation numbers compare across runs and seeds. */
const EVAL_SEED = 0x5eed;

export class FlmTrainer {
  readonly kind = 'flm';
  readonly model: DiT;
  readonly timeMap: TimeMap;
  step = 0;
  lossHistory: LossPoint[] = [];
  private readonly opt: Optimizer;
  private readonly eps: Tensor;
  private readonly gamma: Tensor;
  private readonly batcher: Batcher;
  private readonly valBatches: Uint32Array[];
  private readonly trainProgram: Program;
  private readonly evalProgram: Program;
  private evalIndex = 0;
  private readonly n: number;

  constructor(
    readonly backend: Backend,
    readonly config: DiTConfig,
    readonly train: TrainConfig,
    data: TrainerData,
    /** Continue from a checkpoint written by `snapshot()`. */
    resume?: Checkpoint,
  ) {
    const B = train.batch, L = config.length, V = config.vocab;
    ({ batcher: this.batcher, valBatches: this.valBatches } = trainerBatches(data, L, train, resume));
    this.model = new DiT(backend, config, B, { dropout: train.dropout > 0 });
    this.n = this.model.layout.total;
    this.timeMap = new TimeMap(V);
    this.opt = new Optimizer(backend, this.n, train, () => this.step);
    this.eps = backend.tensor(B * L * V, 'eps');
    this.gamma = backend.tensor(B, 'gamma');
    ({ step: this.step, lossHistory: this.lossHistory } = resumeOrStart(this.opt, this.model.params, resume, () => initParams(this.model.layout, train.seed)));

    const ops = backend.ops, model = this.model, nx = B * L * V;
    const dropout = train.dropout > 0 ? { p: train.dropout, seed: train.seed + DROPOUT_SEED_OFFSET, counter: () => this.step } : undefined;
    this.trainProgram = backend.compile(() => {
      ops.gaussian(this.eps, nx, train.seed, () => this.step * 8 + STREAM.trainNoise);
      ops.flmNoising(model.x, this.eps, model.targets, this.gamma, B, L, V);
      model.forward({ dropout });
      model.crossEntropyLoss();
      model.backward({ dropout });
      this.opt.record(model.params, model.grads);
    });
    this.evalProgram = backend.compile(() => {
      ops.gaussian(this.eps, nx, EVAL_SEED, () => this.evalIndex);
      ops.flmNoising(model.x, this.eps, model.targets, this.gamma, B, L, V);
      model.forward();
      model.crossEntropyLoss();
    });
  }

  /** The weights being trained. */
  get params(): Tensor {
    return this.model.params;
  }

  get parameterCount(): number {
    return this.model.layout.count;
  }

  /** The EMA of the weights (what samples use). */
  get ema(): Tensor {
    return this.opt.ema;
  }

  get batcherState(): BatcherState {
    return this.batcher.state();
  }

  private writeTimes(t: Float32Array): void {
    this.backend.write(this.model.t, t);
    if (this.model.tPrime) this.backend.write(this.model.tPrime, t);
    this.backend.write(this.gamma, Float32Array.from(t, (x) => this.timeMap.gamma(x)));
  }

  /** One optimiser step. */
  async trainStep(): Promise<StepResult> {
    const t0 = performance.now();
    const { batch, tMin, tMax, seed } = this.train;
    this.backend.write(this.model.targets, this.batcher.next());
    this.writeTimes(antitheticTimes(new CounterRng(seed, STREAM.trainTimes, this.step), batch, tMin, tMax));
    this.trainProgram.run();
    const r = await this.opt.result(this.model.loss, ++this.step, t0);
    this.lossHistory.push({ step: this.step, loss: r.loss, time: Date.now() });
    return r;
  }

  /**
   * Validation cross-entropy of the clean token, averaged over the fixed
   * validation batches with fixed times (a uniform grid) and fixed noise.
   */
  async validate(): Promise<number> {
    const B = this.train.batch;
    const t = Float32Array.from({ length: B }, (_, i) => (i + 0.5) / B);
    return meanValidationCe(this.backend, this.model.ce, this.valBatches, (batch, j) => {
      this.evalIndex = j;
      this.backend.write(this.model.targets, batch);
      this.writeTimes(t);
    }, this.evalProgram, this.lossHistory, this.step);
  }

  /** Everything a resumed run needs (the caller adds tokenizer and data ids to meta). */
  async snapshot(meta: SnapshotMeta & { kind?: 'flm' }): Promise<Checkpoint> {
    return trainerCheckpoint(this.opt, this.model.params, this.config, this.train, this.step, this.lossHistory, this.batcher.state(), { ...meta, kind: this.kind });
  }

  /** Previews: 8 Euler steps with the EMA weights. */
  previewSampler(): Preview {
    return { sampler: new EulerSampler(this.backend, this.config, 1, this.ema, this.timeMap), steps: 8 };
  }

  /** Release every device buffer of this trainer (its model included). */
  release(): void {
    for (const t of [this.eps, this.gamma]) this.backend.release(t);
    this.opt.release();
    this.model.release();
  }
}
