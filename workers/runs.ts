/**
 * The studio's runs: a request of the UI (start, resume, distill) becomes a
 * Run of src/run. This module supplies what only the studio has — the corpus
 * (bundled, or the user's text kept in this tab), the bundled BPE tokenizer,
 * teachers from the bundled models or IndexedDB, snapshots to IndexedDB, the
 * backend of the user's choice and a fresh one after a lost device — and
 * src/run does the rest (split → encode → trainer, the loop, the faults).
 * Every run claims its checkpoint for as long as it goes (a Web Lock, see
 * CheckpointStore.claim): another tab resuming the same checkpoint meanwhile
 * is refused with WorkerError 'checkpoint-busy' instead of both writing it.
 */
import { BpeTokenizer } from '../src/data/bpeTokenizer.ts';
import { CharTokenizer } from '../src/data/charTokenizer.ts';
import { checkSameCorpus, corpusDigest } from '../src/data/corpus.ts';
import { BUNDLED_BPE, tokenizerFromJSON, type TextTokenizer, type TokenizerKind } from '../src/data/tokenizer.ts';
import { distillTrainConfig, type DistillTeachers } from '../src/distill/trainer.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint.ts';
import { CheckpointBusyError, CheckpointStore, type CheckpointClaim } from '../src/io/checkpointStore.ts';
import type { CorpusRef, ModelRef, RunMeta, TrainConfig } from '../src/io/meta.ts';
import { defaultConfig, type DiTConfig } from '../src/model/config.ts';
import { Run, type CheckpointSink } from '../src/run/loop.ts';
import { prepareRun, resumeSpec, type RunInput } from '../src/run/trainer.ts';
import { presetConfig, presetTrain } from '../src/train/presets.ts';
import { backendFor, deviceLoss, forgetBackend, publicUrl } from './backends.ts';
import { stage2TeacherProblem } from './distillTeachers.ts';
import { corpusText, modelBytes, teacherSources } from './models.ts';
import { WorkerError, type BackendPreference, type CorpusSource, type DistillRequest, type ModelChoice, type ResumeRequest, type TrainEvent, type TrainRequest } from './protocol.ts';

type Emit = (e: TrainEvent) => void;

/** The shape a model choice trains: a preset, or the custom overrides of `micro`. */
export function modelConfig(model: ModelChoice, vocab: number): DiTConfig {
  return model.preset === 'custom'
    ? defaultConfig({ ...presetConfig('micro', vocab), ...model.config, vocab })
    : presetConfig(model.preset, vocab);
}

/**
 * The studio's runs of one tab: their checkpoints in `store`, and the text the
 * user gave for each (user corpora are not stored in checkpoints, so a resume
 * in the same tab finds it here).
 */
export class StudioRuns {
  private readonly corpusCache = new Map<string, CorpusSource>();

  constructor(private readonly store = new CheckpointStore()) {}

  /**
   * `make` a run of checkpoint `id` while holding the claim on it; the claim
   * is let go when the run settles, or at once if `make` fails.
   */
  private async claimed(id: string, make: (claim: CheckpointClaim) => Promise<Run>): Promise<Run> {
    let claim: CheckpointClaim;
    try {
      claim = await this.store.claim(id);
    } catch (e) {
      if (e instanceof CheckpointBusyError) throw new WorkerError('checkpoint-busy', e.message);
      throw e;
    }
    try {
      return await make(claim);
    } catch (e) {
      claim.release();
      throw e;
    }
  }

  /** A new FLM run on the chosen corpus and tokenizer. */
  async start(req: TrainRequest, emit: Emit): Promise<Run> {
    const id = crypto.randomUUID();
    return this.claimed(id, (claim) => this.startClaimed(req, id, claim, emit));
  }

  private async startClaimed(req: TrainRequest, id: string, claim: CheckpointClaim, emit: Emit): Promise<Run> {
    const corpus = await corpusText(req.corpus);
    const tokenizer = await makeTokenizer(req.tokenizer, corpus.text);
    const preset = req.model.preset === 'custom' ? 'micro' : req.model.preset;
    const train: TrainConfig = { ...presetTrain(preset, req.steps), ...req.model.train, steps: req.steps };
    if (req.corpus.kind === 'bytes') this.corpusCache.set(id, req.corpus);
    return this.studioRun({
      runId: req.runId, id, claim, name: req.name, choice: req.backend ?? 'auto', resumed: false,
      input: { text: corpus.text, tokenizer, spec: { kind: 'flm', config: modelConfig(req.model, tokenizer.vocabSize), train } },
      corpus: corpusRefOf(req.corpus), sha256: await corpusDigest(corpus.text),
      run: { saveEvery: req.saveEvery, sampleEvery: req.sampleEvery, target: req.steps },
    }, emit);
  }

  /**
   * A stored checkpoint continued (FLM, distillation or judge), on its own
   * text, to `steps` in total; refused ('checkpoint-busy') while another tab trains it.
   */
  async resume(req: ResumeRequest, emit: Emit): Promise<Run> {
    return this.claimed(req.checkpointId, (claim) => this.resumeClaimed(req, claim, emit));
  }

  private async resumeClaimed(req: ResumeRequest, claim: CheckpointClaim, emit: Emit): Promise<Run> {
    const ckpt = decodeCheckpoint(await this.store.load(req.checkpointId));
    if (!ckpt.meta.tokenizer) throw new Error('this checkpoint has no tokenizer, so its training cannot be resumed here');
    if (!ckpt.meta.train) throw new Error('this checkpoint has no training settings, so its training cannot be resumed here');
    const tokenizer = tokenizerFromJSON(ckpt.meta.tokenizer);
    const { src, text, sha256 } = await this.trainingText(req.checkpointId, ckpt, req.corpus);
    const saved = ckpt.meta.run ?? {}, sources = teacherSources(ckpt);
    let teachers: DistillTeachers | undefined;
    if (ckpt.meta.kind === 'flowmap' || ckpt.meta.kind === 'fmlm') {
      const stage = ckpt.meta.distill?.stage;
      if (!sources.f || !stage || (stage === 2 && !sources.g)) throw new Error('this distillation checkpoint does not say where its teachers are, so it cannot be resumed here');
      teachers = { f: await this.loadModel(sources.f), g: sources.g ? await this.loadModel(sources.g) : undefined };
    }
    return this.studioRun({
      runId: req.runId, id: req.checkpointId, claim, name: ckpt.meta.name, choice: req.backend ?? 'auto', resumed: true,
      input: { text, tokenizer, spec: resumeSpec(ckpt, { ...ckpt.meta.train, steps: req.steps }, teachers), resume: ckpt },
      corpus: corpusRefOf(src), sha256,
      run: { saveEvery: saved.saveEvery ?? 20, sampleEvery: saved.sampleEvery ?? 0, target: req.steps, ...(sources.f ? { teacherSources: { f: sources.f, ...(sources.g ? { g: sources.g } : {}) } } : {}) },
    }, emit);
  }

  /** A distillation stage from an FLM teacher (and, for stage 2, the stage-1 flow map), on the teacher's text. */
  async distill(req: DistillRequest, emit: Emit): Promise<Run> {
    const id = crypto.randomUUID();
    return this.claimed(id, (claim) => this.distillClaimed(req, id, claim, emit));
  }

  private async distillClaimed(req: DistillRequest, id: string, claim: CheckpointClaim, emit: Emit): Promise<Run> {
    const f = await this.loadModel(req.teacher);
    if (f.config.twoTime) throw new Error('the teacher must be an FLM checkpoint (a one-time model)');
    const g = req.teacherG ? await this.loadModel(req.teacherG) : undefined;
    if (req.stage === 2 && !g) throw new Error('stage 2 needs a stage-1 flow map as its second teacher');
    const wrongTeacher = req.stage === 2 && g ? stage2TeacherProblem(f, g) : null;
    if (wrongTeacher) throw new Error(wrongTeacher);
    if (!f.meta.tokenizer) throw new Error('the teacher has no tokenizer, so its corpus cannot be encoded');
    const { src, text, sha256 } = await this.trainingText(id, f, req.corpus);
    return this.studioRun({
      runId: req.runId, id, claim, name: req.name, choice: req.backend ?? 'auto', resumed: false,
      input: { text, tokenizer: tokenizerFromJSON(f.meta.tokenizer), spec: { kind: 'distill', stage: req.stage, teachers: { f, g }, train: distillTrainConfig(f, req.steps) } },
      corpus: corpusRefOf(src), sha256,
      run: { saveEvery: req.saveEvery, sampleEvery: req.sampleEvery, target: req.steps, teacherSources: { f: req.teacher, ...(req.teacherG ? { g: req.teacherG } : {}) } },
    }, emit);
  }

  /** The Run: trainer built on the chosen backend, snapshots to IndexedDB, a fresh device after a lost one. */
  private async studioRun(r: StudioRun, emit: Emit): Promise<Run> {
    const { backend, note } = await backendFor(r.choice);
    const p = prepareRun(backend, r.input);
    const tokenizer = r.input.tokenizer;
    const sink: CheckpointSink = {
      save: (ckpt) => this.store.save(encodeCheckpoint(ckpt), { id: r.id, name: r.name, kind: ckpt.meta.kind, step: ckpt.meta.step }),
      load: async () => decodeCheckpoint(await this.store.load(r.id)),
    };
    return new Run(p.trainer, {
      runId: r.runId, name: r.name, checkpointId: r.id, target: r.run.target, saveEvery: r.run.saveEvery, sampleEvery: r.run.sampleEvery,
      meta: () => ({ name: r.name, createdAt: new Date().toISOString(), tokenizer: tokenizer.toJSON(), data: { corpus: r.corpus, sha256: r.sha256 }, run: r.run }),
      sink, tokenizer, unigramEntropy: p.unigramEntropy, backendNote: note, resumed: r.resumed,
      recovery: {
        lost: deviceLoss,
        renew: async () => { forgetBackend(r.choice); return (await backendFor(r.choice)).backend; },
        rebuild: p.rebuild,
      },
      // Let queued messages (pause…) in: on the CPU backend a step never yields otherwise.
      yieldEachStep: () => new Promise((resolve) => setTimeout(resolve, 0)),
      emit,
      settled: () => r.claim.release(),
    });
  }

  /**
   * The text a checkpoint was trained on: the bundled corpus it names, or the
   * user's own text (given again, or cached in this tab under `cacheId`),
   * checked against the SHA-256 the checkpoint recorded.
   */
  private async trainingText(cacheId: string, ckpt: Checkpoint, given?: CorpusSource) {
    const saved = ckpt.meta.data?.corpus;
    const src: CorpusSource | undefined = saved?.kind === 'bundled' ? saved : this.corpusCache.get(cacheId) ?? (given?.kind === 'bytes' ? given : undefined);
    if (!src) throw new Error('This checkpoint was trained on your own text, which is not stored in checkpoints. Open the same text again (Corpus), then press Resume.');
    if (src.kind === 'bytes') this.corpusCache.set(cacheId, src);
    const corpus = await corpusText(src);
    const sha256 = await corpusDigest(corpus.text);
    try {
      checkSameCorpus(ckpt.meta.data?.sha256, sha256, src.kind === 'bytes' ? `"${src.name}"` : `The bundled corpus "${corpus.id}"`);
    } catch (e) {
      this.corpusCache.delete(cacheId);
      throw e;
    }
    return { src, text: corpus.text, sha256 };
  }

  /** A model checkpoint from the bundled models or the store (decoded, so a bad file fails here). */
  private async loadModel(src: ModelRef): Promise<Checkpoint> {
    return decodeCheckpoint((await modelBytes(this.store, src)).bytes);
  }
}

interface StudioRun {
  runId: string;
  /** The checkpoint id its snapshots are stored under. */
  id: string;
  /** This run's hold on that checkpoint, let go when the run settles. */
  claim: CheckpointClaim;
  name: string;
  choice: BackendPreference;
  resumed: boolean;
  input: RunInput;
  corpus: CorpusRef;
  sha256: string;
  run: RunMeta & { saveEvery: number; sampleEvery: number; target: number };
}

async function makeTokenizer(kind: TokenizerKind | undefined, text: string): Promise<TextTokenizer> {
  if (kind === undefined || kind === 'char') return CharTokenizer.fromText(text);
  const name = BUNDLED_BPE[kind];
  const res = await fetch(publicUrl(`corpus/${name}.json`));
  if (!res.ok) throw new Error(`could not load the bundled BPE tokenizer ${name}.json (${res.status})`);
  return BpeTokenizer.fromTokenizerJson(await res.json(), name);
}

/** How a checkpoint names its corpus: the bundled one by id, the user's text by its name. */
function corpusRefOf(src: CorpusSource): CorpusRef {
  return src.kind === 'bundled' ? src : { kind: 'text', name: src.name };
}
