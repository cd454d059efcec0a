/// <reference lib="webworker" />
/**
 * The training worker: owns its GPU device, the trainer and the checkpoint
 * store; the UI drives it through comlink (protocol.ts) and receives events.
 */
import * as Comlink from 'comlink';
import type { Backend } from '../src/engine/backend.ts';
import { BpeTokenizer } from '../src/data/bpeTokenizer.ts';
import { CharTokenizer } from '../src/data/charTokenizer.ts';
import { tokenizerFromJSON, tokenPieces, type TextTokenizer, type TokenizerJSON, type TokenizerKind } from '../src/data/tokenizer.ts';
import { checkSameCorpus, corpusDigest, decodeCorpusBytes, splitTrainVal } from '../src/data/corpus.ts';
import { unigramEntropy } from '../src/data/unigram.ts';
import { EulerSampler, type StepSampler } from '../src/flm/sampler.ts';
import { summarizeFrame, type FrameSummary } from '../src/sampling/frames.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { CheckpointStore } from '../src/io/checkpointStore.ts';
import { defaultConfig, type DiTConfig } from '../src/model/config.ts';
import { parameterCount, PRESETS, presetConfig, presetTrain, trainingMemoryBytes } from '../src/train/presets.ts';
import type { TrainConfig } from '../src/train/schedule.ts';
import { FlmTrainer } from '../src/train/trainer.ts';
import type { Stage } from '../src/distill/init.ts';
import { DistillTrainer, distillTrainConfig, type DistillInfo } from '../src/distill/trainer.ts';
import { TwoNetworkSampler } from '../src/flm/twoNetworkSampler.ts';
import { GpuDeviceLostError } from '../src/engine/webgpu/errors.ts';
import { GpuBackend } from '../src/engine/webgpu/gpuBackend.ts';
import { backendFor, deviceLoss, forgetBackend, publicUrl } from './backends.ts';
import { corpusText, modelBytes, teacherSources } from './models.ts';
import type { BackendPreference, CorpusSource, DistillRequest, StoredModelSource, TrainApi, TrainEvent, TrainRequest } from './protocol.ts';

const store = new CheckpointStore();
let pauseRequested = false;
let running = false;

let current: { backend: Backend; note: string } | null = null;

async function makeTokenizer(kind: TokenizerKind | undefined, text: string): Promise<TextTokenizer> {
  if (kind !== 'bpe') return CharTokenizer.fromText(text);
  const res = await fetch(publicUrl('corpus/brown-bpe.json'));
  if (!res.ok) throw new Error(`could not load the bundled BPE tokenizer (${res.status})`);
  return BpeTokenizer.fromTokenizerJson(await res.json(), 'brown-bpe');
}

/** What the worker needs of a trainer: FLM training and both distillation stages. */
type AnyTrainer = FlmTrainer | DistillTrainer;

/** A distillation run: its stage and where its teachers come from (so that a resume can load them again). */
interface DistillSession { stage: Stage; sources: { f: StoredModelSource; g?: StoredModelSource } }

interface Session {
  trainer: AnyTrainer;
  /** Set for a distillation run. */
  distill?: DistillSession;
  tokenizer: TextTokenizer;
  id: string;
  name: string;
  corpus: CorpusSource;
  corpusId: string;
  /** SHA-256 of the corpus text, stored in checkpoints and checked on resume. */
  corpusSha256: string;
  saveEvery: number;
  sampleEvery: number;
  target: number;
  /** The backend the user chose (a lost device is replaced by a fresh one of the same choice). */
  choice: BackendPreference;
  /** Device losses recovered from in this run (a device that keeps failing stops the run). */
  recoveries: number;
  /** The preview sampler, made once per session (it owns its own activations). */
  sampler?: StepSampler;
  /** Whether this run's events already carried the tokens' display strings. */
  piecesSent?: boolean;
}

/** How many lost devices one run recovers from before it gives up. */
const MAX_RECOVERIES = 3;

async function save(s: Session, emit: (e: TrainEvent) => void): Promise<void> {
  const meta = {
    name: s.name, createdAt: new Date().toISOString(),
    tokenizer: s.tokenizer.toJSON(),
    data: { corpus: s.corpus.kind === 'bundled' ? s.corpus : { kind: 'text' as const, name: s.corpusId }, sha256: s.corpusSha256 },
    run: { saveEvery: s.saveEvery, sampleEvery: s.sampleEvery, target: s.target, ...(s.distill ? { teacherSources: s.distill.sources } : {}) },
  };
  const t = s.trainer;
  const ckpt = t instanceof DistillTrainer ? await t.snapshot(meta) : await t.snapshot({ ...meta, kind: 'flm' });
  const info = await store.save(encodeCheckpoint(ckpt), { id: s.id, name: s.name, kind: ckpt.meta.kind, step: t.step });
  emit({ type: 'checkpoint', info });
}

/**
 * A preview sample with the EMA weights: 8 Euler steps of an FLM; one step
 * of a student (stage 2: the FMLM's one-step generation; stage 1: one
 * two-network step with the teacher).
 */
async function preview(s: Session, b: Backend): Promise<{ text: string; frames: FrameSummary[] }> {
  const t = s.trainer;
  if (!s.sampler) {
    s.sampler = t instanceof DistillTrainer && t.stage === 1
      ? new TwoNetworkSampler(b, t.teacherConfig, t.config, 1, { f: t.teacherTensors[0], g: t.ema }, t.timeMap)
      : new EulerSampler(b, t.config, 1, t.ema, t.timeMap);
  }
  const frames: FrameSummary[] = [];
  const { length: L, vocab: V } = t.config;
  const { tokens } = await s.sampler.sample(t instanceof DistillTrainer ? 1 : 8, t.step, (f) => { frames.push(summarizeFrame(f, L, V, PREVIEW_K)); });
  return { text: s.tokenizer.decode(tokens), frames };
}

/** Candidates per position in preview frames. */
const PREVIEW_K = 5;

/**
 * Claim the worker for a run, synchronously on entry to start/resume, so two
 * calls can never overlap and a Pause sent during set-up is kept.
 */
function claim(): void {
  if (running) throw new Error('a training run is already going in this tab');
  running = true;
  pauseRequested = false;
}

async function run(s: Session, emit: (e: TrainEvent) => void): Promise<void> {
  const b = s.trainer.backend;
  const t = s.trainer, train = t.train, cfg = t.config;
  const t0 = performance.now(), startStep = t.step;
  let handedOver = false;
  try {
    while (t.step < s.target) {
      const r = await t.trainStep();
      if (r.nonFinite) {
        await rollBack(s, r.step, r.loss, emit);
        return;
      }
      let valCe: number | undefined;
      if (train.evalEvery > 0 && t.step % train.evalEvery === 0) valCe = await t.validate();
      const elapsed = (performance.now() - t0) / 1000, done = t.step - startStep;
      emit({
        type: 'step', step: t.step, steps: s.target, loss: r.loss, valCe,
        tokensPerS: (done * train.batch * cfg.length) / elapsed, etaS: (elapsed / done) * (s.target - t.step),
      });
      if (s.sampleEvery > 0 && (t.step % s.sampleEvery === 0 || t.step === s.target)) {
        const p = await preview(s, b);
        const pieces = s.piecesSent ? undefined : tokenPieces(s.tokenizer, t.config.vocab);
        s.piecesSent = true;
        emit({ type: 'sample', step: t.step, ...p, ...(pieces ? { pieces } : {}) });
      }
      if (t.step % s.saveEvery === 0 || t.step === s.target) await save(s, emit);
      // Let queued messages (pause, list…) in: on the CPU backend a step never yields otherwise.
      await new Promise((r) => setTimeout(r, 0));
      if (pauseRequested) {
        if (t.step % s.saveEvery !== 0 && t.step !== s.target) await save(s, emit);
        emit({ type: 'paused', step: t.step });
        return;
      }
    }
    emit({ type: 'done', step: t.step });
  } catch (e) {
    const lost = await deviceLoss(b, e);
    if (lost && s.recoveries < MAX_RECOVERIES) {
      handedOver = await recover(s, lost, emit);
      return;
    }
    emit({ type: 'error', message: (e as Error).message, code: (e as { code?: string }).code });
  } finally {
    if (!handedOver) running = false;
  }
}


/**
 * A NaN or ±Inf loss: the update was skipped, the run stops, and the session
 * is dropped so that the next Resume starts again from the last stored
 * checkpoint (whose weights are finite: it was saved before the bad step).
 */
async function rollBack(s: Session, step: number, loss: number, emit: (e: TrainEvent) => void): Promise<void> {
  const saved = await lastSavedStep(s.id);
  if (live === s) {
    live.sampler?.release();
    live.trainer.release();
    live = null;
  }
  emit({
    type: 'rolled-back', step: saved,
    message: `The loss became ${loss} at step ${step}. Training paused and rolled back to the last checkpoint (step ${saved}); `
      + 'Resume continues from there. If it happens again at the same step, lower the learning rate.',
  });
}

/**
 * The GPU device was lost: get a new one and continue from the last stored
 * checkpoint. Returns whether a new run took over.
 */
async function recover(s: Session, e: GpuDeviceLostError, emit: (ev: TrainEvent) => void): Promise<boolean> {
  try {
    const saved = await lastSavedStep(s.id);
    emit({
      type: 'recovering', step: saved,
      message: `${e.message.replace(/\.+$/, '')}. Recovered automatically: a new device was created and training continued from the checkpoint at step ${saved}.`,
    });
    if (live === s) live = null; // its buffers died with the device
    forgetBackend(s.choice);
    await prepareResume(s.id, s.target, emit, s.corpus, s.choice, s.recoveries + 1);
    return true;
  } catch (err) {
    emit({ type: 'error', message: `The GPU device was lost and recovery failed: ${(err as Error).message}`, code: 'device-lost' });
    return false;
  }
}

/** The session whose buffers are held; replaced (and released) by the next start or resume. */
let live: Session | null = null;
function adopt(s: Session): void {
  if (live && live !== s) {
    live.sampler?.release();
    live.trainer.release();
  }
  live = s;
}

function started(s: Session, b: Backend, unigram: number): TrainEvent {
  return {
    type: 'started', checkpointId: s.id, name: s.name, step: s.trainer.step, steps: s.target,
    kind: s.distill ? (s.distill.stage === 1 ? 'flowmap' : 'fmlm') : 'flm',
    params: s.trainer.parameterCount, vocab: s.trainer.config.vocab,
    memoryBytes: trainingMemoryBytes(s.trainer.config, s.trainer.train.batch), backend: b.description + (current?.note ?? ''),
    unigramEntropy: unigram, history: s.trainer.lossHistory,
  };
}

async function prepareStart(req: TrainRequest, onEvent: (e: TrainEvent) => void): Promise<void> {
  current = await backendFor(req.backend);
  const b = current.backend;
  const corpus = await corpusText(req.corpus);
  const tokenizer = await makeTokenizer(req.tokenizer, corpus.text);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  const preset = req.model.preset === 'custom' ? 'micro' : req.model.preset;
  const config: DiTConfig = req.model.preset === 'custom'
    ? defaultConfig({ ...presetConfig('micro', tokenizer.vocabSize), ...req.model.config, vocab: tokenizer.vocabSize })
    : presetConfig(preset, tokenizer.vocabSize);
  const train: TrainConfig = { ...presetTrain(preset, req.steps), ...req.model.train, steps: req.steps };
  const trainer = new FlmTrainer(b, config, train, data);
  const s: Session = {
    trainer, tokenizer, id: crypto.randomUUID(), name: req.name, corpus: req.corpus, corpusId: corpus.id,
    corpusSha256: await corpusDigest(corpus.text),
    saveEvery: req.saveEvery, sampleEvery: req.sampleEvery, target: req.steps,
    choice: req.backend ?? 'auto', recoveries: 0,
  };
  if (req.corpus.kind === 'bytes') corpusCache.set(s.id, req.corpus);
  adopt(s);
  onEvent(started(s, b, unigramEntropy(data.val, tokenizer.vocabSize)));
  await save(s, onEvent);
  void run(s, onEvent);
}

/**
 * The text a checkpoint was trained on: the bundled corpus it names, or the
 * user's own text (given again, or cached in this tab under `cacheId`),
 * checked against the SHA-256 the checkpoint recorded.
 */
async function trainingText(cacheId: string, ckpt: Checkpoint, given?: CorpusSource) {
  const dataMeta = (ckpt.meta.data ?? {}) as { corpus?: CorpusSource | string; sha256?: string };
  const saved = dataMeta.corpus;
  const bundled: CorpusSource | undefined = typeof saved === 'string'
    ? { kind: 'bundled', id: saved } // written by `flm train`
    : saved?.kind === 'bundled' ? saved : undefined;
  const src: CorpusSource | undefined = bundled ?? corpusCache.get(cacheId) ?? (given?.kind === 'bytes' ? given : undefined);
  if (!src) throw new Error('This checkpoint was trained on your own text, which is not stored in checkpoints. Open the same text again (Corpus), then press Resume.');
  if (src.kind === 'bytes') corpusCache.set(cacheId, src);
  const corpus = await corpusText(src);
  const sha256 = await corpusDigest(corpus.text);
  try {
    checkSameCorpus(dataMeta.sha256, sha256, src.kind === 'bytes' ? `"${src.name}"` : `The bundled corpus "${corpus.id}"`);
  } catch (e) {
    corpusCache.delete(cacheId);
    throw e;
  }
  return { src, corpus, sha256 };
}

async function prepareResume(
  id: string, steps: number, onEvent: (e: TrainEvent) => void, given?: CorpusSource, choice?: BackendPreference, recoveries = 0,
): Promise<void> {
  current = await backendFor(choice ?? 'auto');
  const b = current.backend;
  const ckpt: Checkpoint = decodeCheckpoint(new Uint8Array(await store.load(id)));
  const tokJson = ckpt.meta.tokenizer;
  if (!tokJson) throw new Error('this checkpoint has no tokenizer, so its training cannot be resumed here');
  const tokenizer = tokenizerFromJSON(tokJson);
  const { src, corpus, sha256 } = await trainingText(id, ckpt, given);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  if (!ckpt.meta.train) throw new Error("this checkpoint has no training settings, so its training cannot be resumed here");
  const train = { ...ckpt.meta.train, steps };
  const extra = { ...ckpt.meta.run, distill: ckpt.meta.distill };
  let trainer: AnyTrainer;
  let distill: DistillSession | undefined;
  if (ckpt.meta.kind === 'flowmap' || ckpt.meta.kind === 'fmlm') {
    const { f: fSrc, g: gSrc } = teacherSources(ckpt), stage = extra.distill?.stage;
    if (!fSrc || !stage || (stage === 2 && !gSrc)) throw new Error('this distillation checkpoint does not say where its teachers are, so it cannot be resumed here');
    const f = await loadModel(fSrc), g = gSrc ? await loadModel(gSrc) : undefined;
    trainer = new DistillTrainer(b, stage, { f, g }, train, data, ckpt);
    distill = { stage, sources: { f: fSrc, ...(gSrc ? { g: gSrc } : {}) } };
  } else {
    trainer = new FlmTrainer(b, ckpt.config, train, data, ckpt);
  }
  const s: Session = {
    trainer, distill, tokenizer, id, name: ckpt.meta.name, corpus: src, corpusId: corpus.id, corpusSha256: sha256,
    saveEvery: extra.saveEvery ?? 20, sampleEvery: extra.sampleEvery ?? 0, target: steps,
    choice: choice ?? 'auto', recoveries,
  };
  adopt(s);
  onEvent(started(s, b, unigramEntropy(data.val, tokenizer.vocabSize)));
  void run(s, onEvent);
}

/** A model checkpoint from the bundled models or the store (decoded, so a bad file fails here). */
async function loadModel(src: StoredModelSource): Promise<Checkpoint> {
  return decodeCheckpoint((await modelBytes(store, src)).bytes);
}

/** The step of the last stored checkpoint of run `id` (0 when none is stored). */
async function lastSavedStep(id: string): Promise<number> {
  return (await store.list()).find((c) => c.id === id)?.step ?? 0;
}

async function prepareDistill(req: DistillRequest, onEvent: (e: TrainEvent) => void): Promise<void> {
  current = await backendFor(req.backend);
  const b = current.backend;
  const f = await loadModel(req.teacher);
  if (f.config.twoTime) throw new Error('the teacher must be an FLM checkpoint (a one-time model)');
  const g = req.teacherG ? await loadModel(req.teacherG) : undefined;
  if (req.stage === 2 && !g) throw new Error('stage 2 needs a stage-1 flow map as its second teacher');
  if (!f.meta.tokenizer) throw new Error('the teacher has no tokenizer, so its corpus cannot be encoded');
  const tokenizer = tokenizerFromJSON(f.meta.tokenizer);
  const id = crypto.randomUUID();
  const { src, corpus, sha256 } = await trainingText(id, f, req.corpus);
  const split = splitTrainVal(corpus.text);
  const data = { train: tokenizer.encode(split.train), val: tokenizer.encode(split.val) };
  const trainer = new DistillTrainer(b, req.stage, { f, g }, distillTrainConfig(f, req.steps), data);
  const sources = { f: req.teacher, ...(req.teacherG ? { g: req.teacherG } : {}) };
  const s: Session = {
    trainer, distill: { stage: req.stage, sources }, tokenizer, id, name: req.name, corpus: src, corpusId: corpus.id, corpusSha256: sha256,
    saveEvery: req.saveEvery, sampleEvery: req.sampleEvery, target: req.steps, choice: req.backend ?? 'auto', recoveries: 0,
  };
  adopt(s);
  onEvent(started(s, b, unigramEntropy(data.val, tokenizer.vocabSize)));
  await save(s, onEvent);
  void run(s, onEvent);
}

const api: TrainApi = {
  async presets() {
    return Object.values(PRESETS).map((p) => ({ name: p.name, description: p.description }));
  },

  async estimate(model, vocab) {
    const preset = model.preset === 'custom' ? 'micro' : model.preset;
    const config = model.preset === 'custom'
      ? defaultConfig({ ...presetConfig('micro', vocab), ...model.config, vocab })
      : presetConfig(preset, vocab);
    const batch = model.train?.batch ?? PRESETS[preset].batch;
    return { config, batch, train: PRESETS[preset].train, params: parameterCount(config), memoryBytes: trainingMemoryBytes(config, batch) };
  },

  async distill(req, onEvent) {
    claim();
    try {
      await prepareDistill(req, onEvent);
    } catch (e) {
      running = false;
      throw e;
    }
  },

  async start(req: TrainRequest, onEvent) {
    claim();
    try {
      await prepareStart(req, onEvent);
    } catch (e) {
      running = false;
      throw e;
    }
  },

  async resume(id: string, steps: number, onEvent, given?: CorpusSource, choice?: BackendPreference) {
    claim();
    try {
      await prepareResume(id, steps, onEvent, given, choice);
    } catch (e) {
      running = false;
      throw e;
    }
  },

  async pause() { pauseRequested = true; },

  async injectFault(kind) {
    const s = live;
    if (!s) throw new Error('no training session to inject a fault into');
    const b = s.trainer.backend;
    if (kind === 'nan-weights') {
      b.write(s.trainer.params, new Float32Array(s.trainer.params.size).fill(NaN));
    } else {
      if (!(b instanceof GpuBackend)) throw new Error('device loss needs the WebGPU backend');
      b.handle.device.destroy();
    }
  },
  list: () => store.list(),
  rename: (id, name) => store.rename(id, name),
  remove: (id) => store.delete(id),
  async exportFile(id) {
    const bytes = await store.load(id);
    const copy = bytes.slice().buffer;
    return Comlink.transfer(copy, [copy]);
  },
  async importFile(bytes, name) {
    const u8 = new Uint8Array(bytes);
    const ckpt = decodeCheckpoint(u8);
    return store.save(u8, { name: name || ckpt.meta.name, kind: ckpt.meta.kind, step: ckpt.meta.step });
  },
};

/** Text the user gave in this tab, by checkpoint id (user corpora are not stored in checkpoints). */
const corpusCache = new Map<string, CorpusSource>();

Comlink.expose(api);
