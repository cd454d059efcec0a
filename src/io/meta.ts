/**
 * What a checkpoint says about itself, typed: the model kind, the training
 * hyper-parameters, the tokenizer, the data position, the distillation
 * lineage and the studio's run settings. `parseMeta` validates the JSON once,
 * when a file is read, and migrates the legacy (version 1) layout, so code
 * past the reader never casts. Runs in pages, workers and Node.
 */
import type { BatcherState } from '../data/batcher.ts';
import { parseTokenizerJSON, type TokenizerJSON } from '../data/tokenizer.ts';

/** Every kind of model the studio stores: one list, one name for each. */
export const MODEL_KINDS = ['flm', 'flowmap', 'fmlm', 'judge'] as const;
/**
 * - `flm`: a Flow-based Language Model (one time input; Euler sampler).
 * - `flowmap`: a stage-1 two-time flow map g (sampled with its FLM teacher).
 * - `fmlm`: a stage-2 one-step Flow-map Language Model δ.
 * - `judge`: an autoregressive judge (causal, scores samples; not sampled).
 */
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The sampler a model needs. */
export type SamplerKind = 'euler' | 'flowmap' | 'two-network';

export const SAMPLER_NAMES: Record<SamplerKind, string> = {
  euler: 'FLM, Euler sampler',
  flowmap: 'FMLM, one-network flow-map sampler',
  'two-network': 'stage-1 flow map with its FLM teacher, two-network sampler',
};

/** The sampler for a model kind; null for a judge (it scores, it is not sampled). */
export function samplerFor(meta: Pick<CheckpointMeta, 'kind'>): SamplerKind | null {
  switch (meta.kind) {
    case 'flm': return 'euler';
    case 'flowmap': return 'two-network';
    case 'fmlm': return 'flowmap';
    case 'judge': return null;
  }
}

/** Training hyper-parameters, as a run uses them and a checkpoint stores them. */
export interface TrainConfig {
  batch: number;
  steps: number;
  lr: number;
  /** Linear warm-up steps to `lr`, then constant (the reference schedule). */
  warmup: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip (0 disables). */
  clip: number;
  /** EMA decay of the weights (samples use the EMA weights). */
  emaDecay: number;
  seed: number;
  tMin: number;
  tMax: number;
  /** Validation cross-entropy every N steps (0: never). */
  evalEvery: number;
  evalBatches: number;
  /** Dropout on both residual branches during training (0: off). */
  dropout: number;
}

const TRAIN_KEYS = [
  'batch', 'steps', 'lr', 'warmup', 'beta1', 'beta2', 'eps', 'weightDecay', 'clip', 'emaDecay', 'seed', 'tMin', 'tMax',
  'evalEvery', 'evalBatches', 'dropout',
] as const satisfies readonly (keyof TrainConfig)[];

/**
 * The text a model was trained on, by name: a bundled corpus, or the user's
 * own text (only its name; the text itself is never stored, and a name is
 * never opened as a path: data sources come from the user).
 */
export type CorpusRef = { kind: 'bundled'; id: string } | { kind: 'text'; name: string };

export interface DataMeta {
  corpus?: CorpusRef;
  /** SHA-256 (hex) of the corpus text, checked when a run resumes or a teacher is distilled. */
  sha256?: string;
  /** The batcher's position, for exact resume. */
  batcher?: BatcherState;
}

/** A teacher a model was distilled from, recognised by the fingerprint of its weights. */
export interface TeacherRef { name: string; step: number; fingerprint: string }

/** The distillation lineage of a flow map (stage 1) or an FMLM (stage 2). */
export interface DistillMeta {
  stage: 1 | 2;
  teacherF: TeacherRef;
  teacherG?: TeacherRef;
}

/** A model the studio can find again by itself: a bundled file or a checkpoint stored in this browser. */
export type ModelRef = { kind: 'bundled'; file: string } | { kind: 'stored'; id: string };

/** The studio's settings of the run that wrote the checkpoint (restored on resume). */
export interface RunMeta {
  saveEvery?: number;
  sampleEvery?: number;
  /** The step the run was asked to reach. */
  target?: number;
  /** Where a distillation run's teachers are, so that a resume can load them again. */
  teacherSources?: { f: ModelRef; g?: ModelRef };
  /** The FLM checkpoint whose tokenizer a judge took (`flm train-judge --like`). */
  likeModel?: string;
}

export interface LossPoint { step: number; loss: number; valCe?: number; time?: number }

export const META_VERSION = 2;

export interface CheckpointMeta {
  format: 'flm-studio';
  version: typeof META_VERSION;
  kind: ModelKind;
  name: string;
  /** ISO date. */
  createdAt: string;
  /** Optimiser steps done. */
  step: number;
  train?: TrainConfig;
  tokenizer?: TokenizerJSON;
  data?: DataMeta;
  /** The counter-based generator's position (seed and step). */
  rng?: { seed: number; step: number };
  lossHistory?: LossPoint[];
  distill?: DistillMeta;
  run?: RunMeta;
}

/** A damaged meta: `parseMeta` throws this with the reason; the checkpoint reader words it for people. */
export class MetaError extends Error {
  override readonly name = 'MetaError';
}

/**
 * The kind of a model whose file does not say (an official checkpoint): a
 * two-time model samples by itself in one step, like an FMLM; a stage-1 flow
 * map is only ever one the studio distilled, and says so.
 */
export function defaultKind(twoTime: boolean): ModelKind {
  return twoTime ? 'fmlm' : 'flm';
}

// ---------------------------------------------------------------- parsing

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (why: string): never => { throw new MetaError(why); };
const q = JSON.stringify;

function obj(v: unknown, what: string): Obj {
  return isObj(v) ? v : bad(`${what} is not an object`);
}
function str(v: unknown, what: string): string {
  return typeof v === 'string' ? v : bad(`${what} is not text`);
}
function num(v: unknown, what: string): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : bad(`${what} is not a finite number (${q(v)})`);
}
function count(v: unknown, what: string): number {
  const n = num(v, what);
  return Number.isInteger(n) && n >= 0 ? n : bad(`${what} is not a non-negative whole number (${n})`);
}
const opt = <T>(v: unknown, parse: (v: unknown) => T): T | undefined => (v === undefined ? undefined : parse(v));

function parseTrain(v: unknown): TrainConfig {
  const o = obj(v, '"train"');
  const out = {} as Record<(typeof TRAIN_KEYS)[number], number>;
  for (const k of TRAIN_KEYS) out[k] = num(o[k], `train.${k}`);
  return out;
}

/** A corpus reference; the legacy form is a bare id (`flm train`) or `{kind: 'bytes', name}` (the studio). */
function parseCorpus(v: unknown): CorpusRef {
  if (typeof v === 'string') return { kind: 'bundled', id: v };
  const o = obj(v, 'data.corpus');
  if (o.kind === 'bundled') return { kind: 'bundled', id: str(o.id, 'data.corpus.id') };
  if (o.kind === 'text' || o.kind === 'bytes') return { kind: 'text', name: str(o.name, 'data.corpus.name') };
  return bad(`data.corpus has the unknown kind ${q(o.kind)}`);
}

function parseData(v: unknown): DataMeta {
  const o = obj(v, '"data"');
  const out: DataMeta = {};
  const corpus = opt(o.corpus, parseCorpus);
  if (corpus) out.corpus = corpus;
  const sha = opt(o.sha256, (x) => str(x, 'data.sha256'));
  if (sha !== undefined) out.sha256 = sha;
  const b = opt(o.batcher, (x) => obj(x, 'data.batcher'));
  if (b) out.batcher = { epoch: count(b.epoch, 'data.batcher.epoch'), index: count(b.index, 'data.batcher.index'), seed: num(b.seed, 'data.batcher.seed') };
  return out;
}

function parseTeacher(v: unknown, what: string): TeacherRef {
  const o = obj(v, what);
  return { name: str(o.name, `${what}.name`), step: count(o.step, `${what}.step`), fingerprint: str(o.fingerprint, `${what}.fingerprint`) };
}

function parseDistill(v: unknown): DistillMeta {
  const o = obj(v, '"distill"');
  if (o.stage !== 1 && o.stage !== 2) return bad(`distill.stage is ${q(o.stage)}, not 1 or 2`);
  const out: DistillMeta = { stage: o.stage, teacherF: parseTeacher(o.teacherF, 'distill.teacherF') };
  const g = opt(o.teacherG, (x) => parseTeacher(x, 'distill.teacherG'));
  if (g) out.teacherG = g;
  return out;
}

/** A model reference; undefined for version 1's informative `{kind: 'file', name}` (a path on someone's disk). */
function parseModelRef(v: unknown, what: string): ModelRef | undefined {
  const o = obj(v, what);
  if (o.kind === 'bundled') return { kind: 'bundled', file: str(o.file, `${what}.file`) };
  if (o.kind === 'stored') return { kind: 'stored', id: str(o.id, `${what}.id`) };
  if (o.kind === 'file') return undefined;
  return bad(`${what} has the unknown kind ${q(o.kind)}`);
}

function parseRun(o: Obj): RunMeta {
  const out: RunMeta = {};
  for (const k of ['saveEvery', 'sampleEvery', 'target'] as const) {
    const n = opt(o[k], (x) => count(x, `run.${k}`));
    if (n !== undefined) out[k] = n;
  }
  const ts = opt(o.teacherSources, (x) => obj(x, 'run.teacherSources'));
  const f = ts && parseModelRef(ts.f, 'run.teacherSources.f');
  if (ts && f) {
    out.teacherSources = { f };
    const g = opt(ts.g, (x) => parseModelRef(x, 'run.teacherSources.g'));
    if (g) out.teacherSources.g = g;
  }
  const like = opt(o.likeModel, (x) => str(x, 'run.likeModel'));
  if (like !== undefined) out.likeModel = like;
  return out;
}

function parseLossHistory(v: unknown): LossPoint[] {
  if (!Array.isArray(v)) return bad('the loss history is not a list');
  // JSON has no NaN: a diverged loss was written as null; read it back as NaN.
  const val = (x: unknown) => (typeof x === 'number' ? x : x === null ? NaN : undefined);
  return v.map((p): LossPoint => {
    if (!isObj(p) || typeof p.step !== 'number') return bad('a loss-history point has no step');
    const loss = val(p.loss);
    if (loss === undefined) return bad(`the loss-history point at step ${p.step} has no loss`);
    const pt: LossPoint = { step: p.step, loss };
    const valCe = val(p.valCe);
    if (valCe !== undefined) pt.valCe = valCe;
    if (typeof p.time === 'number') pt.time = p.time;
    return pt;
  });
}

/**
 * Validate the `flm_studio` JSON of a checkpoint into a typed meta. Version 1
 * (the `extra` object holding the distillation lineage and the run settings,
 * corpus ids as bare strings) is migrated here, once. `twoTime` is the model's
 * own flag, for files that predate the kind field. Throws MetaError.
 */
export function parseMeta(raw: unknown, twoTime: boolean): CheckpointMeta {
  const o = obj(raw, 'it');
  if (o.format !== 'flm-studio') return bad(`its format is ${q(o.format)} instead of "flm-studio"`);
  if (typeof o.version !== 'number') return bad('it has no version number');
  if (o.version !== 1 && o.version !== META_VERSION) return bad(`unknown format version ${o.version}`);
  const kind = o.kind ?? defaultKind(twoTime);
  if (!MODEL_KINDS.includes(kind as ModelKind)) return bad(`unknown model kind ${q(o.kind)} (expected ${MODEL_KINDS.join(', ')})`);
  const meta: CheckpointMeta = {
    format: 'flm-studio', version: META_VERSION, kind: kind as ModelKind,
    name: opt(o.name, (x) => str(x, 'the name')) ?? 'imported',
    createdAt: opt(o.createdAt, (x) => str(x, 'the creation date')) ?? new Date(0).toISOString(),
    step: count(o.step, 'the step count'),
  };
  const train = opt(o.train, parseTrain);
  if (train) meta.train = train;
  const tokenizer = opt(o.tokenizer, (x) => {
    try {
      return parseTokenizerJSON(x);
    } catch (e) {
      return bad(`the tokenizer is damaged (${(e as Error).message})`);
    }
  });
  if (tokenizer) meta.tokenizer = tokenizer;
  const data = opt(o.data, parseData);
  if (data) meta.data = data;
  const rng = opt(o.rng, (x) => obj(x, '"rng"'));
  if (rng) meta.rng = { seed: num(rng.seed, 'rng.seed'), step: count(rng.step, 'rng.step') };
  const history = opt(o.lossHistory, parseLossHistory);
  if (history) meta.lossHistory = history;
  // Version 1 kept the lineage and the run settings in `extra`.
  const legacy = o.version === 1 ? opt(o.extra, (x) => obj(x, '"extra"')) : undefined;
  const distill = opt(o.distill ?? legacy?.distill, parseDistill);
  if (distill) meta.distill = distill;
  const run = opt(o.run ?? legacy, (x) => parseRun(obj(x, '"run"')));
  if (run && Object.keys(run).length > 0) meta.run = run;
  // Version 1 called every two-time model without a recorded stage 1 a
  // 'flowmap'; one that samples alone (no teacher) is an FMLM.
  if (o.version === 1 && meta.kind === 'flowmap' && meta.distill?.stage !== 1) meta.kind = 'fmlm';
  if ((meta.kind === 'flowmap' || meta.kind === 'fmlm') && meta.distill && (meta.distill.stage === 1) !== (meta.kind === 'flowmap')) {
    return bad(`a ${meta.kind} cannot come from distillation stage ${meta.distill.stage}`);
  }
  return meta;
}
