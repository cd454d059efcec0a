/**
 * The one place that declares what crosses the worker boundary (comlink).
 * The UI imports only these types and the worker constructors.
 */
import type { AdapterSummary } from '../src/engine/webgpu/device.ts';
import type { DitParityResult } from '../src/parity/dit.ts';

export type BackendChoice = 'webgpu' | 'cpu';

export interface EngineInfo {
  backend: BackendChoice;
  description: string;
  adapter: AdapterSummary | null;
  /** Why WebGPU is not in use, when the CPU backend took over. */
  fallbackReason: string | null;
}

export interface SelfTestResult extends DitParityResult {
  backend: BackendChoice;
  tolerances: { logits: number; loss: number; grads: number };
  pass: boolean;
}

export interface EngineApi {
  /** Start the engine (WebGPU if possible, else the CPU reference). */
  init(prefer: BackendChoice): Promise<EngineInfo>;
  /** Run a golden DiT fixture forward and backward; compare with the official numbers. */
  selfTest(fixture: ArrayBuffer, name: string): Promise<SelfTestResult>;
}

/** A structured error that survives postMessage. */
export interface WorkerErrorInfo { name: string; code: string; message: string }

// ------------------------------------------------------------------ training

import type { CheckpointInfo } from '../src/io/checkpointStore.ts';
import type { ModelKind } from '../src/io/meta.ts';
import type { LossPoint } from '../src/io/checkpoint.ts';
import type { DiTConfig } from '../src/model/config.ts';
import type { PresetName } from '../src/train/presets.ts';
import type { TrainConfig } from '../src/train/schedule.ts';

/** Where the training text comes from: the bundled corpus, or text the user gave (file, drop, paste, URL). */
export type CorpusSource =
  | { kind: 'bundled'; id: string }
  | { kind: 'bytes'; name: string; bytes: ArrayBuffer };

export interface ModelChoice {
  preset: PresetName | 'custom';
  /** Overrides of the preset's shape (custom). */
  config?: Partial<Omit<DiTConfig, 'vocab'>>;
  train?: Partial<TrainConfig>;
}

export type BackendPreference = 'auto' | 'webgpu' | 'cpu';

export interface TrainRequest {
  /** 'auto': WebGPU on a real GPU, the CPU backend on CPU-emulated adapters. */
  backend?: BackendPreference;
  corpus: CorpusSource;
  /** 'char': characters of the corpus; 'bpe': the bundled byte-level BPE tokenizer.json. */
  tokenizer?: 'char' | 'bpe';
  model: ModelChoice;
  /** Total optimiser steps of the run. */
  steps: number;
  name: string;
  /** Save a checkpoint every N steps (and on pause). */
  saveEvery: number;
  /** Preview a sample every N steps (0: never). */
  sampleEvery: number;
}

/** What a model is: an FLM, a stage-1 flow map, a stage-2 FMLM or an autoregressive judge (a checkpoint's `kind`). */
export type { ModelKind };

/** A named model size, as the Train view lists it. */
export interface PresetInfo { name: PresetName; description: string }

/** A model choice's shape, size and training memory before the corpus (so the exact vocabulary) is known. */
export interface ModelEstimate {
  /** The preset's shape, with a custom choice's overrides, at the estimated vocabulary. */
  config: DiTConfig;
  batch: number;
  /** The preset's training defaults (learning rate, warm-up, EMA decay…). */
  train: NonNullable<ModelChoice['train']>;
  params: number;
  memoryBytes: number;
}

export type TrainEvent =
  /** `kind`: what the run trains (an FLM, a stage-1 flow map or a stage-2 FMLM). */
  | { type: 'started'; checkpointId: string; name: string; kind: ModelKind; step: number; steps: number; params: number; vocab: number;
      memoryBytes: number; backend: string; unigramEntropy: number; history: LossPoint[] }
  | { type: 'step'; step: number; steps: number; loss: number; tokensPerS: number; etaS: number; valCe?: number }
  /**
   * A preview sample with the summaries of its frames (top-5 candidates per
   * position…) and, once per run, the tokens' display strings.
   */
  | { type: 'sample'; step: number; text: string; frames: FrameSummary[]; pieces?: string[] }
  | { type: 'checkpoint'; info: CheckpointInfo }
  | { type: 'paused'; step: number }
  /** A NaN/Inf loss stopped the run; the last stored checkpoint (at `step`) is where Resume continues. */
  | { type: 'rolled-back'; step: number; message: string }
  /** The GPU device was lost; a 'started' event follows when training continues from the checkpoint at `step`. */
  | { type: 'recovering'; step: number; message: string }
  | { type: 'done'; step: number }
  | { type: 'error'; message: string; code?: string };

/** A flow-map distillation run (spec sections 6–7) from stored or bundled checkpoints. */
export interface DistillRequest {
  stage: 1 | 2;
  /** The FLM teacher f. */
  teacher: StoredModelSource;
  /** The stage-1 flow map g (stage 2). */
  teacherG?: StoredModelSource;
  /** The teacher's training text, when it was the user's own (checked against the teacher's SHA-256). */
  corpus?: CorpusSource;
  backend?: BackendPreference;
  steps: number;
  name: string;
  saveEvery: number;
  sampleEvery: number;
}

export interface TrainApi {
  /** Start a new run. Events stream to `onEvent` until done, paused or failed. */
  start(req: TrainRequest, onEvent: (e: TrainEvent) => void): Promise<void>;
  /** Start a distillation stage; the same events as training (samples are one-step samples of the student). */
  distill(req: DistillRequest, onEvent: (e: TrainEvent) => void): Promise<void>;
  /**
   * Resume a stored checkpoint (up to `steps` in total). A run on the user's
   * own text needs that text again (`corpus`), since checkpoints do not store it.
   */
  resume(checkpointId: string, steps: number, onEvent: (e: TrainEvent) => void, corpus?: CorpusSource, backend?: BackendPreference): Promise<void>;
  /** Stop after the current step and save a checkpoint. */
  pause(): Promise<void>;
  /**
   * Fault injection for the reliability tests (and for trying the recovery
   * paths by hand): poison the live weights with NaN, or destroy the GPU device.
   */
  injectFault(kind: 'nan-weights' | 'device-loss'): Promise<void>;
  list(): Promise<CheckpointInfo[]>;
  rename(id: string, name: string): Promise<CheckpointInfo>;
  remove(id: string): Promise<void>;
  /** The checkpoint as a `.safetensors` file. */
  exportFile(id: string): Promise<ArrayBuffer>;
  /** Validate and store a `.safetensors` checkpoint; throws a readable error for bad files. */
  importFile(bytes: ArrayBuffer, name: string): Promise<CheckpointInfo>;
  /** The named model sizes. */
  presets(): Promise<PresetInfo[]>;
  /** Shape, parameters and training memory of a model choice at an estimated vocabulary (before the corpus is tokenized). */
  estimate(model: ModelChoice, vocab: number): Promise<ModelEstimate>;
}

// ------------------------------------------------------------------ sampling

import type { FrameSummary } from '../src/sampling/frames.ts';
import type { SampleRun, SampleSettings } from '../src/sampling/session.ts';
import type { SamplerKind } from '../src/io/meta.ts';
import type { TrajectoryMeta } from '../src/sampling/trajectory.ts';

/**
 * A model to sample from: shipped with the studio, stored in IndexedDB, a
 * file the user opened, or a `.safetensors` URL (a share link's model).
 */
export type ModelSource =
  | { kind: 'bundled'; file: string }
  | { kind: 'stored'; id: string }
  | { kind: 'bytes'; name: string; bytes: ArrayBuffer }
  | { kind: 'url'; url: string };

/** A model the studio can find again by itself (a bundled file or a stored checkpoint). */
export type StoredModelSource = Extract<ModelSource, { kind: 'bundled' | 'stored' }>;

/** Download progress of a model (bytes; total when the server declared it). */
export interface LoadProgress { what: string; loaded: number; total: number | null }

export interface ModelEntry {
  source: StoredModelSource;
  kind: ModelKind;
  name: string;
  detail: string;
}

export interface LoadedModel {
  name: string;
  step: number;
  length: number;
  vocab: number;
  params: number;
  tokenizer: string;
  /** One display string per token id. */
  pieces: string[];
  usesEma: boolean;
  /** The backend in words, with the adapter and any fallback note. */
  backend: string;
  /** Which backend computes: reproducing a share link's tokens needs the same one. */
  backendKind: BackendChoice;
  /** Why the CPU backend took over, when WebGPU was asked for (or auto) but is not available. */
  fallbackReason: string | null;
  /** The sampler this model needs (FLM Euler, FMLM one-network flow map…). */
  sampler: string;
  /** What the model is (its checkpoint's kind). */
  kind: ModelKind;
  /** Which sampler it needs (`sampler` says it in words). */
  samplerKind: SamplerKind;
  /** The FLM this model was distilled from, when the studio can load it (for comparisons). */
  teacher: string | null;
}

export interface SampleApi {
  /**
   * Bundled models (public/models/index.json), then the checkpoints stored in
   * IndexedDB, of the given kinds (by default those one can sample: FLM, FMLM, flow map).
   */
  models(kinds?: ModelKind[]): Promise<ModelEntry[]>;
  /**
   * Load a model onto the chosen backend (replacing the previous one), with
   * download progress. Throws a readable error for bad files; a typed
   * error's code travels in its name (`RemoteModelError:not-found`).
   */
  load(source: ModelSource, backend: BackendPreference, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /** Load the loaded model's FLM teacher now (else on the first sampleTeacher), with progress. */
  prepareTeacher(onProgress?: (p: LoadProgress) => void): Promise<{ name: string } | null>;
  /**
   * Sample with N Euler steps. Each of the N + 1 frames is summarised and
   * sent to `onFrame` (its typed arrays transferred) before the next step.
   */
  sample(settings: SampleSettings, onFrame?: (f: FrameSummary) => void): Promise<SampleRun>;
  /**
   * Sample the loaded model's FLM teacher (a distilled model's) with the same
   * settings — the same seed gives the same noise — for side-by-side comparisons.
   */
  sampleTeacher(settings: SampleSettings): Promise<SampleRun>;
  /** Fault injection for the reliability tests: destroy the GPU device (the next sample recovers). */
  injectFault(kind: 'device-loss'): Promise<void>;
  /** A recorded run as the trajectory JSON document (the one `flm sample --trajectory` writes), serialised. */
  trajectory(meta: TrajectoryMeta, pieces: string[], frames: FrameSummary[], run?: SampleRun): Promise<string>;
  /** Per frame, the probability of each row's final token (the last frame's argmax z; 0 where it is outside the frame's top-k). */
  finalTokenProbs(frames: FrameSummary[]): Promise<Float32Array[]>;
}

// ---------------------------------------------------------------- evaluation

import type { EvalProgress, EvalResult } from '../src/eval/sweep.ts';

/** An evaluation as the studio saves it with the models: the sweep's result and what was evaluated, where and when. */
export interface SavedEval extends EvalResult {
  models: { flm: string | null; fmlm: string | null };
  samples: number;
  backend: string;
  date: string;
}

export interface EvalRequest {
  flm: StoredModelSource | null;
  fmlm: StoredModelSource | null;
  judge: StoredModelSource;
  samples: number;
  stepsFlm: number[];
  stepsFmlm: number[];
  seed: number;
  backend?: BackendPreference;
}

export type EvalEvent =
  | { type: 'started'; rows: number; backend: string }
  /** After every batch; a finished row comes with its `result`. */
  | { type: 'progress'; progress: EvalProgress }
  | { type: 'done'; result: SavedEval }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

export interface EvalApi {
  /** Run a sweep; progress and rows stream to `onEvent`; the result is saved with the models (IndexedDB). */
  run(req: EvalRequest, onEvent: (e: EvalEvent) => void): Promise<void>;
  /** Stop after the current batch. */
  stop(): Promise<void>;
  /** The last saved evaluation of this FLM/FMLM pair, if any. */
  saved(flm: StoredModelSource | null, fmlm: StoredModelSource | null): Promise<SavedEval | null>;
  /** An evaluation as a markdown table (what `flm eval` writes as eval.md). */
  markdown(result: EvalResult): Promise<string>;
}
