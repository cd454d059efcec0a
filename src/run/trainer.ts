/**
 * The trainers a run drives — FLM training, both distillation stages, the
 * autoregressive judge — behind one interface, and the one way a run gets
 * its trainer: split the text → encode both parts → build the trainer of the
 * spec (new, or continued from a checkpoint). The CLI commands and the
 * studio's training worker all start, resume and distill through here.
 */
import type { Backend, Tensor } from '../engine/backend.ts';
import { splitTrainVal } from '../data/corpus.ts';
import type { TextTokenizer } from '../data/tokenizer.ts';
import { unigramEntropy } from '../data/unigram.ts';
import { ArTrainer } from '../ar/trainer.ts';
import type { Stage } from '../distill/init.ts';
import { DistillTrainer, type DistillTeachers } from '../distill/trainer.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import type { LossPoint, ModelKind, TrainConfig } from '../io/meta.ts';
import type { DiTConfig } from '../model/config.ts';
import type { StepResult } from '../train/optimizer.ts';
import { FlmTrainer, type Preview, type SnapshotMeta, type TrainerData } from '../train/trainer.ts';

export type { Preview, SnapshotMeta, TrainerData } from '../train/trainer.ts';

/** What a run needs of a trainer; FlmTrainer, DistillTrainer and ArTrainer all are one. */
export interface Trainer {
  /** The kind of model its snapshots hold. */
  readonly kind: ModelKind;
  readonly backend: Backend;
  /** The config of the model being trained (a distillation run's student). */
  readonly config: DiTConfig;
  readonly train: TrainConfig;
  /** Optimiser steps done. */
  readonly step: number;
  readonly lossHistory: LossPoint[];
  readonly parameterCount: number;
  /** The weights being trained. */
  readonly params: Tensor;
  /** Their EMA (what samples use). */
  readonly ema: Tensor;
  /** One optimiser step; a non-finite loss or gradient skips the update and says so. */
  trainStep(): Promise<StepResult>;
  /** The validation figure on the fixed validation batches (recorded on the loss history). */
  validate(): Promise<number>;
  /** Everything a resumed run needs; the caller adds name, tokenizer, data and run settings. */
  snapshot(meta: SnapshotMeta): Promise<Checkpoint>;
  /** A sampler of the EMA weights for previews (the caller releases it), or null (a judge is not sampled). */
  previewSampler(): Preview | null;
  /** Release every device buffer of this trainer. */
  release(): void;
}

/** What to train: a new model of a config, a student of teachers, or a judge. */
export type TrainerSpec =
  | { kind: 'flm'; config: DiTConfig; train: TrainConfig }
  | { kind: 'judge'; config: DiTConfig; train: TrainConfig }
  | { kind: 'distill'; stage: Stage; teachers: DistillTeachers; train: TrainConfig };

/** The trainer of a spec on `backend`, continued from `resume` when given. */
export function createTrainer(backend: Backend, spec: TrainerSpec, data: TrainerData, resume?: Checkpoint): Trainer {
  switch (spec.kind) {
    case 'flm': return new FlmTrainer(backend, spec.config, spec.train, data, resume);
    case 'judge': return new ArTrainer(backend, spec.config, spec.train, data, resume);
    case 'distill': return new DistillTrainer(backend, spec.stage, spec.teachers, spec.train, data, resume);
  }
}

/**
 * What a checkpoint continues as, with the training config `train`: its
 * kind's trainer. A distilled model (flow map, FMLM) needs its teachers.
 */
export function resumeSpec(ckpt: Checkpoint, train: TrainConfig, teachers?: DistillTeachers): TrainerSpec {
  switch (ckpt.meta.kind) {
    case 'flm': return { kind: 'flm', config: ckpt.config, train };
    case 'judge': return { kind: 'judge', config: ckpt.config, train };
    case 'flowmap':
    case 'fmlm': {
      const stage = ckpt.meta.distill?.stage;
      if (!stage) throw new Error('this distilled checkpoint does not record its distillation stage, so it cannot be resumed');
      if (!teachers) throw new Error('resuming a distillation run needs its teachers');
      return { kind: 'distill', stage, teachers, train };
    }
  }
}

/** A run's text and how it is tokenized; `resume` continues a checkpoint of the same text. */
export interface RunInput {
  text: string;
  tokenizer: TextTokenizer;
  spec: TrainerSpec;
  resume?: Checkpoint;
}

export interface PreparedRun {
  trainer: Trainer;
  data: TrainerData;
  /** Entropy of the validation tokens' unigram distribution (nats): the loss a model of no context reaches. */
  unigramEntropy: number;
  /** The same trainer built again on `backend`, from `ckpt` (null: from the start): recovery from a lost device. */
  rebuild(backend: Backend, ckpt: Checkpoint | null): Trainer;
}

/** The training and validation tokens of a text (the last 5% held out, cut at a line break). */
export function encodeSplit(tokenizer: TextTokenizer, text: string): TrainerData {
  const split = splitTrainVal(text);
  return { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
}

/** Split → encode → build: the trainer a run starts (or resumes) with, and how to build it again. */
export function prepareRun(backend: Backend, input: RunInput): PreparedRun {
  const data = encodeSplit(input.tokenizer, input.text);
  const trainer = createTrainer(backend, input.spec, data, input.resume);
  return {
    trainer, data,
    unigramEntropy: unigramEntropy(data.val, input.tokenizer.vocabSize),
    rebuild: (b, ckpt) => createTrainer(b, input.spec, data, ckpt ?? undefined),
  };
}
