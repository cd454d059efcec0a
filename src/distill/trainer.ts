/**
 * Distillation training, both stages, on any backend: batches of clean
 * tokens from the teacher's corpus, (s, d) pairs with the boundary trick,
 * noise from the counter-based generator, the stage's loss and the student's
 * gradients in one recorded program, AdamW and the EMA (the shared
 * Optimizer). Teachers are frozen (their EMA weights). A run resumed from a
 * checkpoint continues exactly, given the same teachers (checked by
 * fingerprint).
 */
import type { Backend, Program, Tensor } from '../engine/backend.ts';
import type { Batcher } from '../data/batcher.ts';
import { STREAM } from '../flm/random.ts';
import { EulerSampler } from '../flm/sampler.ts';
import { TimeMap } from '../flm/timeMap.ts';
import { TwoNetworkSampler } from '../flm/twoNetworkSampler.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { DistillMeta, LossPoint, TrainConfig } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import { presetTrain } from '../train/presets.ts';
import type { DiT } from '../model/dit.ts';
import { modelWeights, uploadWeights, weightsFingerprint } from '../model/weights.ts';
import { Optimizer, type StepResult } from '../train/optimizer.ts';
import { meanValidationCe, resumeOrStart, trainerBatches, trainerCheckpoint, type Preview, type SnapshotMeta, type TrainerData } from '../train/trainer.ts';
import { distillTimes, initStudent, studentConfig, type Stage } from './init.ts';
import { Stage1Loss } from './stage1.ts';
import { Stage2Loss } from './stage2.ts';

/** Learning rate, warm-up and EMA for distilling the small presets (the reference: lr 3e−4 at batch 512). */
const DISTILL_TRAIN: Partial<TrainConfig> = { lr: 1e-3, warmup: 20, emaDecay: 0.999, dropout: 0, evalEvery: 50 };

/**
 * A new distillation run's training config: the teacher's own (batch, seed…)
 * with the distillation rates, for `steps` steps.
 */
export function distillTrainConfig(teacher: Checkpoint, steps: number): TrainConfig {
  return { ...presetTrain('micro', steps), ...teacher.meta.train, ...DISTILL_TRAIN, steps };
}

/** Validation uses fixed noise and fixed (s, d), so its numbers compare across runs. */
const EVAL_SEED = 0x5eed;

export interface DistillTeachers {
  /** The FLM teacher (stage 1 and 2). */
  f: Checkpoint;
  /** The stage-1 flow map (stage 2 only). */
  g?: Checkpoint;
}

export class DistillTrainer {
  readonly config: DiTConfig;
  readonly timeMap: TimeMap;
  /** The run's lineage: its stage and its teachers' fingerprints (recorded in every snapshot). */
  readonly info: DistillMeta;
  step = 0;
  lossHistory: LossPoint[] = [];
  private readonly loss: Stage1Loss | Stage2Loss;
  private readonly student: DiT;
  private readonly opt: Optimizer;
  private readonly weights: Tensor[] = [];
  private readonly batcher: Batcher;
  private readonly valBatches: Uint32Array[];
  private readonly trainProgram: Program;
  private readonly evalProgram: Program;
  private evalIndex = 0;

  constructor(
    readonly backend: Backend,
    readonly stage: Stage,
    teachers: DistillTeachers,
    readonly train: TrainConfig,
    data: TrainerData,
    resume?: Checkpoint,
  ) {
    const f = teachers.f, g = teachers.g;
    if (f.config.twoTime) throw new Error('the teacher f must be an FLM (a one-time model), not a flow map');
    if (stage === 2 && !g) throw new Error('stage 2 needs the stage-1 flow map g as its second teacher');
    if (g && (!g.config.twoTime || g.config.vocab !== f.config.vocab || g.config.length !== f.config.length)) {
      throw new Error('the stage-1 teacher g must be a two-time model of the same vocabulary and length as f');
    }
    this.info = {
      stage,
      teacherF: { name: f.meta.name, step: f.meta.step, fingerprint: weightsFingerprint(f) },
      ...(stage === 2 && g ? { teacherG: { name: g.meta.name, step: g.meta.step, fingerprint: weightsFingerprint(g) } } : {}),
    };
    if (resume) {
      const saved = resume.meta.distill;
      if (!saved || saved.stage !== stage) throw new Error(`this checkpoint is not a stage-${stage} distillation run`);
      if (saved.teacherF.fingerprint !== this.info.teacherF.fingerprint) {
        throw new Error(`this run was distilled from the FLM "${saved.teacherF.name}" (step ${saved.teacherF.step}); the teacher given is a different model`);
      }
      if (stage === 2 && saved.teacherG?.fingerprint !== this.info.teacherG?.fingerprint) {
        throw new Error(`this run's stage-1 teacher was "${saved.teacherG?.name}"; the one given is a different model`);
      }
    }
    const B = train.batch;
    ({ batcher: this.batcher, valBatches: this.valBatches } = trainerBatches(data, f.config.length, train, resume));
    this.config = studentConfig(stage, f.config);
    this.timeMap = new TimeMap(f.config.vocab);

    const upload = (c: Checkpoint, label: string) => {
      const t = uploadWeights(backend, c, undefined, label);
      this.weights.push(t);
      return t;
    };
    const fW = upload(f, 'teacher f');
    this.loss = stage === 1
      ? new Stage1Loss(backend, f.config, this.config, B, fW)
      : new Stage2Loss(backend, f.config, g!.config, this.config, B, { f: fW, g: upload(g!, 'teacher g') });
    this.student = this.loss instanceof Stage1Loss ? this.loss.g : this.loss.student;
    const n = this.student.layout.total;
    this.opt = new Optimizer(backend, n, train, () => this.step);
    ({ step: this.step, lossHistory: this.lossHistory } = resumeOrStart(this.opt, this.student.params, resume, () => initStudent(stage, f.config, modelWeights(f), train.seed).params));
    const noise = { seed: train.seed, counter: () => this.step * 8 + STREAM.trainNoise };
    const evalNoise = { seed: EVAL_SEED, counter: () => this.evalIndex };
    const loss = this.loss;
    this.trainProgram = backend.compile(() => {
      if (loss instanceof Stage1Loss) loss.record(noise);
      else loss.record({ noise });
      this.opt.record(this.student.params, this.student.grads);
    });
    this.evalProgram = loss instanceof Stage1Loss ? loss.compile(evalNoise, false) : loss.compile({ noise: evalNoise, gradient: false });
  }

  /** The student's weights being trained. */
  get params(): Tensor {
    return this.student.params;
  }

  /** The student's parameter count. */
  get parameterCount(): number {
    return this.student.layout.count;
  }

  /** The student's EMA weights (what samples use). */
  get ema(): Tensor {
    return this.opt.ema;
  }

  /** The FLM teacher's config. */
  get teacherConfig(): DiTConfig {
    return this.loss.f.cfg;
  }

  /** The frozen teachers' weights on the device: f, then g (stage 2). */
  get teacherTensors(): Tensor[] {
    return this.weights;
  }

  private setBatch(tokens: Uint32Array, seed: number, index: number): void {
    const tm = distillTimes(this.stage, seed, index, this.train.batch, this.timeMap);
    if (this.loss instanceof Stage1Loss) this.loss.setBatch({ tokens, ...tm });
    else this.loss.setBatch({ tokens, s: tm.s, t: tm.t, gs: tm.gs, gt: tm.gt });
  }

  async trainStep(): Promise<StepResult> {
    const t0 = performance.now();
    this.setBatch(this.batcher.next(), this.train.seed, this.step);
    this.trainProgram.run();
    const r = await this.opt.result(this.student.loss, ++this.step, t0);
    this.lossHistory.push({ step: this.step, loss: r.loss, time: Date.now() });
    return r;
  }

  /**
   * The distillation error on the fixed validation batches (fixed noise and
   * (s, d)): the mean over tokens of Σ_v (target − prediction)², without the
   * stage-1 loss weighting (which makes the training loss go below 0 as w
   * learns log of the error).
   */
  async validate(): Promise<number> {
    return meanValidationCe(this.backend, this.student.ce, this.valBatches, (batch, j) => {
      this.evalIndex = j;
      this.setBatch(batch, EVAL_SEED, j);
    }, this.evalProgram, this.lossHistory, this.step);
  }

  /** A stage-1 run trains a flow map g, a stage-2 run an FMLM. */
  get kind(): 'flowmap' | 'fmlm' {
    return this.stage === 1 ? 'flowmap' : 'fmlm';
  }

  async snapshot(meta: SnapshotMeta): Promise<Checkpoint> {
    return trainerCheckpoint(this.opt, this.student.params, this.config, this.train, this.step, this.lossHistory, this.batcher.state(), {
      ...meta, kind: this.kind, distill: this.info,
    });
  }

  /**
   * Previews: one step of the student with its EMA weights (stage 2: the
   * FMLM's one-step generation; stage 1: one two-network step with the teacher).
   */
  previewSampler(): Preview {
    const sampler = this.stage === 1
      ? new TwoNetworkSampler(this.backend, this.teacherConfig, this.config, 1, { f: this.weights[0], g: this.ema }, this.timeMap)
      : new EulerSampler(this.backend, this.config, 1, this.ema, this.timeMap);
    return { sampler, steps: 1 };
  }

  release(): void {
    this.loss.release();
    this.opt.release();
    for (const t of this.weights) this.backend.release(t);
  }
}
