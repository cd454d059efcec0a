/**
 * The one place that declares what crosses the worker boundary (comlink):
 * the APIs, their messages and events, and the one error type every worker
 * throws (WorkerError, a code and a message). The UI imports these types,
 * WorkerError and registerWorkerErrors, nothing else of the workers.
 */
import * as Comlink from 'comlink';
import type { BackendName } from '../src/engine/backend.ts';
import type { AdapterSummary } from '../src/engine/webgpu/device.ts';
import type { RemoteModelErrorCode } from '../src/io/remoteModel.ts';
import type { DitParityResult } from '../src/parity/dit.ts';
import type { RunErrorCode } from '../src/run/events.ts';

// ------------------------------------------------------------------- errors

/** What went wrong in a worker, for the UI to word it. */
export type WorkerErrorCode =
  /** A model download failed: bad link, offline, CORS refusal, 404… (the remote model's codes). */
  | RemoteModelErrorCode
  /** A file that is not a checkpoint, or whose tensors do not match its config (a damaged `.ckpt` too: its reader's one line). */
  | 'bad-checkpoint'
  /** A tokenizer the user asked for that cannot be used (not a tokenizer.json, another vocabulary, not fetched). */
  | 'bad-tokenizer'
  /** A corpus that cannot be trained on, or not the text a checkpoint was trained on. */
  | 'bad-corpus'
  /** The browser refused to store more (nothing stored before was lost). */
  | 'storage-full'
  /** A training run is already going in this tab. */
  | 'busy'
  /** The checkpoint is being trained in another tab (a second run of it is refused until that one stops). */
  | 'checkpoint-busy'
  /** Nothing to act on (no run to inject a fault into, no model loaded…). */
  | 'no-run'
  /** A run's device was lost and could not be recovered (RunErrorCode), or any other failure. */
  | RunErrorCode;

/** The one error type of every worker: thrown by its API calls and carried by its error events. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  /** For 'confirm-size' (and 'too-large'): the model file's size in bytes, when its server declared it. */
  readonly size: number | null;
  constructor(readonly code: WorkerErrorCode, message: string, size: number | null = null) {
    super(message);
    this.size = size;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
let registered = false;

/**
 * Let WorkerErrors cross comlink with their code (comlink's own handler keeps
 * only name and message). Both sides call it: the workers when they expose
 * their API, the UI when it creates a worker.
 */
export function registerWorkerErrors(): void {
  if (registered) return;
  registered = true;
  const plain = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: plain.canHandle,
    serialize(thrown) {
      const e = isRecord(thrown) ? thrown.value : undefined;
      return e instanceof WorkerError ? [{ workerError: { code: e.code, message: e.message, size: e.size } }, []] : plain.serialize(thrown);
    },
    deserialize(wire) {
      const w = isRecord(wire) && isRecord(wire.workerError) ? wire.workerError : undefined;
      if (w) throw new WorkerError(w.code as WorkerErrorCode, String(w.message), typeof w.size === 'number' ? w.size : null);
      return plain.deserialize(wire);
    },
  });
}

// ------------------------------------------------------------------- engine

export type BackendChoice = BackendName;

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

// ------------------------------------------------------------------ training

import type { CheckpointInfo } from '../src/io/checkpointStore.ts';
import type { ModelKind, ModelRef, TrainConfig } from '../src/io/meta.ts';
import type { DiTConfig } from '../src/model/config.ts';
import type { RunEvent } from '../src/run/events.ts';
import type { PresetName } from '../src/train/presets.ts';

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

export type BackendPreference = 'auto' | BackendName;

export interface TrainRequest {
  /** The id the run's events carry (the UI picks it, and ignores events of other runs). */
  runId: string;
  /** 'auto': WebGPU on a real GPU, the CPU backend on CPU-emulated adapters. */
  backend?: BackendPreference;
  corpus: CorpusSource;
  /** 'char': characters of the corpus; 'bpe' / 'bpe-4096': a bundled byte-level BPE tokenizer.json (BUNDLED_BPE). */
  tokenizer?: TokenizerKind;
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

/** A run's events (src/run/events.ts): started, step, sample, checkpoint, paused, rolled-back, recovering, done, error; each with its run id. */
export type TrainEvent = RunEvent;

/** A flow-map distillation run (spec sections 6–7) from stored or bundled checkpoints. */
export interface DistillRequest {
  runId: string;
  stage: 1 | 2;
  /** The FLM teacher f. */
  teacher: ModelRef;
  /** The stage-1 flow map g (stage 2). */
  teacherG?: ModelRef;
  /** The teacher's training text, when it was the user's own (checked against the teacher's SHA-256). */
  corpus?: CorpusSource;
  backend?: BackendPreference;
  steps: number;
  name: string;
  saveEvery: number;
  sampleEvery: number;
}

/**
 * Continue a stored checkpoint (up to `steps` in total). A run on the user's
 * own text needs that text again (`corpus`), since checkpoints do not store it.
 */
export interface ResumeRequest {
  runId: string;
  checkpointId: string;
  steps: number;
  corpus?: CorpusSource;
  backend?: BackendPreference;
}

/**
 * The training worker: one run at a time. Each call returns once the run has
 * started (set-up errors reject it as a WorkerError); the run's events then
 * stream to `onEvent` until done, paused, rolled back or failed.
 */
export interface TrainApi {
  start(req: TrainRequest, onEvent: (e: TrainEvent) => void): Promise<void>;
  /** A distillation stage; the same events as training (samples are one-step samples of the student). */
  distill(req: DistillRequest, onEvent: (e: TrainEvent) => void): Promise<void>;
  resume(req: ResumeRequest, onEvent: (e: TrainEvent) => void): Promise<void>;
  /** Stop after the current step and save a checkpoint. */
  pause(): Promise<void>;
  /**
   * Fault injection for the reliability tests (and for trying the recovery
   * paths by hand): poison the live weights with NaN, or destroy the GPU
   * device; 'nan-weights-at-save' poisons them right before the next
   * snapshot, after a step whose loss was finite (an update that overflowed).
   */
  injectFault(kind: TrainFault): Promise<void>;
  /** The named model sizes. */
  presets(): Promise<PresetInfo[]>;
  /** Shape, parameters and training memory of a model choice at an estimated vocabulary (before the corpus is tokenized). */
  estimate(model: ModelChoice, vocab: number): Promise<ModelEstimate>;
}

export type TrainFault = 'nan-weights' | 'nan-weights-at-save' | 'device-loss';

/**
 * Test hooks of the training worker, on its global scope as `__flmTest` (the
 * e2e tests reach them through Playwright; the UI never uses them).
 */
export interface TrainTestHooks {
  injectFault(kind: TrainFault): Promise<void>;
  /**
   * The live run: lost devices recovered from, its trainer (a serial number:
   * a recovery builds a new one) and the trainer's step, whether it still holds its buffers.
   */
  live(): { recoveries: number; trainer: number; step: number; alive: boolean } | null;
  /** Every stored checkpoint, read by a fresh store (as a reloaded tab would) and decoded. */
  storeState(): Promise<StoredState>;
  /** Store a checkpoint of `mb` MB (a wide model, values set by `step`) as checkpoint `id` (new if absent). */
  saveLarge(id: string, step: number, mb: number): Promise<CheckpointInfo>;
  /**
   * In a fresh checkpoints worker (a nested one), save the large checkpoint of
   * `step` as the next revision of `id`, and terminate that worker
   * `killAfterMs` after `from` (the save sent, or a phase it reported), or as
   * soon as the save has finished if that is sooner. Returns whether it had
   * finished, the time from sending to terminating, and the last phase the
   * worker reported before it was terminated.
   */
  killDuringSave(id: string, step: number, mb: number, killAfterMs: number, from?: SavePhase): Promise<{ finished: boolean; ms: number; phase: SavePhase }>;
}

/** How far a save got, as the checkpoints worker reports it ('sent': nothing reported yet). */
export type SavePhase = 'sent' | 'bytes-start' | 'bytes-done' | 'manifest-start' | 'manifest-done' | 'cleanup-done';

export interface StoredState {
  checkpoints: { id: string; step: number; rev: number; bytes: number; loads: boolean; finite: boolean; error?: string }[];
  /** Bytes no manifest points at (left by an interrupted save), counted before the listing collects them. */
  orphans: number;
}

/** The checkpoints stored in this browser (IndexedDB), served by their own worker. */
export interface CheckpointApi {
  list(): Promise<CheckpointInfo[]>;
  rename(id: string, name: string): Promise<CheckpointInfo>;
  remove(id: string): Promise<void>;
  /** The checkpoint as a `.safetensors` file. */
  exportFile(id: string): Promise<ArrayBuffer>;
  /** Validate and store a `.safetensors` checkpoint; a bad file is a WorkerError ('bad-checkpoint') that says why. */
  importFile(bytes: ArrayBuffer, name: string): Promise<CheckpointInfo>;
}

/** Test hooks of the checkpoints worker (the kill-during-save e2e, through the training worker's hooks). */
export interface CheckpointTestApi {
  /** Resolves once the worker runs. */
  ready(): Promise<true>;
  /** Store `bytes` (not validated) as the next revision of checkpoint `id`, reporting each SavePhase on `progress`. */
  saveRevision(id: string, bytes: ArrayBuffer, step: number, progress?: MessagePort): Promise<CheckpointInfo>;
}

// ------------------------------------------------------------------ sampling

import type { FrameSummary } from '../src/sampling/frames.ts';
import type { TokenizerChoice, TokenizerOrigin } from '../src/data/tokenizerSources.ts';
import type { TokenizerKind } from '../src/data/tokenizer.ts';
import type { SampleRun, SampleSettings } from '../src/sampling/session.ts';
import type { SamplerKind } from '../src/io/meta.ts';
import type { TrajectoryMeta } from '../src/sampling/trajectory.ts';

/**
 * Who computes the network's logits when sampling: the studio's own DiT on
 * the chosen backend, or the model's ONNX export on onnxruntime-web.
 */
export type SampleRuntime = 'studio' | 'onnx';
export const SAMPLE_RUNTIMES: readonly SampleRuntime[] = ['studio', 'onnx'];

/**
 * A model to sample from: one the studio finds by itself (bundled or stored
 * in IndexedDB: a ModelRef), a file the user opened (its bytes, or the File
 * itself: a `.safetensors` or an official Lightning `.ckpt`, read in the
 * worker with progress), or a `.safetensors` URL (a share link's model;
 * `maxBytes`: the size the user agreed to download, above the 64 MB
 * downloaded without asking).
 */
export type ModelSource =
  | ModelRef
  | { kind: 'bytes'; name: string; bytes: ArrayBuffer }
  | { kind: 'file'; file: File }
  | { kind: 'url'; url: string; maxBytes?: number };

export type { ModelRef };
/** The name the UI knew ModelRef by (a bundled file or a stored checkpoint). */
export type StoredModelSource = ModelRef;

/** Progress of a model's download or of reading its file (bytes; total when known). */
export interface LoadProgress { what: string; loaded: number; total: number | null }

/** Where a tokenizer comes from, as the user chooses it for the loaded model. */
export type { TokenizerChoice, TokenizerOrigin };

/** The model file the user opened, and how long reading it took (for a `.ckpt`: the zip, the pickle and the weights). */
export interface OpenedFile { name: string; format: 'ckpt' | 'safetensors'; bytes: number; readMs: number }

export interface ModelEntry {
  source: ModelRef;
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
  /** The tokenizer in words ('none (token ids)' without one). */
  tokenizer: string;
  /** Where the tokenizer in use came from. */
  tokenizerOrigin?: TokenizerOrigin;
  /** The name of the tokenizer the checkpoint asks for, when it only names it (a converted official checkpoint). */
  tokenizerNamed?: string | null;
  /** Why the model shows token ids, or how its tokenizer was adapted. */
  tokenizerNote?: string | null;
  /** One display string per token id. */
  pieces: string[];
  /** The file it was opened from, when the user opened one. */
  file?: OpenedFile | null;
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
   * download progress. Throws a WorkerError that says what is wrong: a
   * download's code ('not-found', 'cors'…) or 'bad-checkpoint'.
   */
  load(source: ModelSource, backend: BackendPreference, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /** Load the loaded model's FLM teacher now (else on the first sampleTeacher), with progress. */
  prepareTeacher(onProgress?: (p: LoadProgress) => void): Promise<{ name: string } | null>;
  /**
   * Sample with N Euler steps. Each of the N + 1 frames is summarised and
   * sent to `onFrame` (its typed arrays transferred) before the next step.
   * `runtime` 'onnx': the network runs as the model's ONNX export on
   * onnxruntime-web (WebAssembly), the rest is the studio's own math on its
   * CPU backend; the run's `runtime` names what computed the logits.
   */
  sample(settings: SampleSettings, onFrame?: (f: FrameSummary) => void, runtime?: SampleRuntime): Promise<SampleRun>;
  /**
   * Sample the loaded model's FLM teacher (a distilled model's) with the same
   * settings — the same seed gives the same noise — for side-by-side comparisons.
   */
  sampleTeacher(settings: SampleSettings): Promise<SampleRun>;
  /** Fault injection for the reliability tests: destroy the GPU device (the next sample recovers). */
  injectFault(kind: 'device-loss'): Promise<void>;
  /**
   * Decode the loaded model's samples with another tokenizer (a tokenizer.json
   * the user gave, a name: GPT-2 built offline or the model hub, none); a
   * WorkerError 'bad-tokenizer' says why one cannot be used (the model stays as it was).
   */
  setTokenizer(choice: TokenizerChoice, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /** Store the loaded model in this browser (a studio `.safetensors` checkpoint with its tokenizer), so the pickers list it. */
  keepLoaded(name?: string): Promise<CheckpointInfo>;
  /** The loaded model as a studio `.safetensors` file (to host for a share link). */
  exportLoaded(): Promise<ArrayBuffer>;
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
  flm: ModelRef | null;
  fmlm: ModelRef | null;
  judge: ModelRef;
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
  | { type: 'error'; code: WorkerErrorCode; message: string };

export interface EvalApi {
  /** Run a sweep; progress and rows stream to `onEvent`; the result is saved with the models (IndexedDB). */
  run(req: EvalRequest, onEvent: (e: EvalEvent) => void): Promise<void>;
  /** Stop after the current batch. */
  stop(): Promise<void>;
  /** The last saved evaluation of this FLM/FMLM pair, if any. */
  saved(flm: ModelRef | null, fmlm: ModelRef | null): Promise<SavedEval | null>;
  /** An evaluation as a markdown table (what `flm eval` writes as eval.md). */
  markdown(result: EvalResult): Promise<string>;
}
